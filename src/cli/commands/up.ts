import { withDependencies } from '../../config/graph.js';
import { assertEnvValid, createEnvIfMissing } from '../../env/ensure.js';
import { formatProblem } from '../../errors.js';
import { serviceDatabase } from '../../stack/migrations.js';
import { pickServices } from '../../stack/services.js';
import { selectRuntime } from '../../stack/select.js';
import { up, type UpResult } from '../../stack/up.js';
import { formatDuration, parseDuration } from '../../util/duration.js';
import type { Context } from '../context.js';
import { prepareNative } from '../native-setup.js';
import { renderTable } from '../table.js';

export async function run(ctx: Context, opts: Record<string, unknown>, args: string[]): Promise<void> {
  // Warnings about unset ${VAR}s wait until .env exists: the first tm up creates it.
  let config = await ctx.config({ quiet: true });
  const created = await createEnvIfMissing(config);
  if (created) {
    ctx.out.info(`created .env from the env contract (${created.written.length} keys; secrets generated)`);
    for (const w of created.warnings) ctx.out.warn(`.env ${w.path}: ${w.message}`);
    config = await ctx.reloadConfig();
  } else for (const w of config.warnings) ctx.out.warn(formatProblem(w));
  await assertEnvValid(config);
  const services = pickServices(config, args);
  const timeoutMs = parseDuration(String(opts.timeout), '--timeout');
  const { runtime, reason } = await selectRuntime(config, opts.runtime as string | undefined);
  ctx.out.debug(`runtime: ${runtime.name} (${reason})`);
  // Databases first, then migrations and seeds, then the apps, which may need the schema.
  const closure = withDependencies(config.services, services);
  await prepareNative(ctx, config, runtime, closure);
  const data = closure.filter((s) => s.kind !== 'app');
  const hasApps = closure.some((s) => s.kind === 'app');
  const upOpts = { timeoutMs, startedAt: performance.now(), signal: ctx.signal, onProgress: (m: string) => ctx.out.info(m), onWarning: (m: string) => ctx.out.warn(m) };
  const first = await ctx.out.step(`starting ${config.name} (${runtime.name})`, () => up(config, runtime, data, upOpts), () => `${hasApps ? 'databases' : config.name} up`);
  const withDb = data.some((s) => s.kind === 'postgres');
  const migrations = opts.migrate === false || !withDb ? undefined : await migrateAfterUp(ctx);
  const seeds = opts.seed === false || opts.migrate === false || !withDb ? undefined : await seedAfterUp(ctx);
  const second = hasApps ? await ctx.out.step('starting apps', () => up(config, runtime, services, upOpts), () => `${config.name} is up`) : undefined;
  const result: UpResult = second
    ? { ...second, services: second.services.map((s) => first.services.find((f) => f.name === s.name) ?? s) }
    : first;
  ctx.out.result({ ...result, migrations, seeds }, () =>
    renderUp(ctx, result) +
      (migrations?.applied.length ? `\n\napplied ${migrations.applied.length} migration(s)` : '') +
      (seeds?.ran.length ? `\nran ${seeds.ran.length} seed file(s)` : ''),
  );
}

/** New or changed seeds run after migrating (each seed runs once per content). */
async function seedAfterUp(ctx: Context) {
  const config = await ctx.config();
  const target = serviceDatabase(config);
  if (!target) return undefined;
  const { readSeeds, seed, seedEnv } = await import('../../db/seeds.js');
  const env = seedEnv();
  if ((await readSeeds(config, env)).length === 0) return undefined;
  return ctx.out.step('seeding', () => seed(config, target, { env }), (r) => `seeds: ${r.ran.length} ran, ${r.skipped.length} unchanged`);
}

/** Pending migrations are applied once Postgres is ready (skipped with --no-migrate). */
async function migrateAfterUp(ctx: Context) {
  const config = await ctx.config();
  const target = serviceDatabase(config);
  if (!target) return undefined;
  const { detectPrisma, prismaMigrate } = await import('../../db/prisma.js');
  const prisma = await detectPrisma(config);
  if (prisma) return ctx.out.step('applying Prisma migrations', () => prismaMigrate(config, prisma, target), (r) => `migrations: ${r.applied.length} applied`);
  const { migrate, migrationsDir } = await import('../../db/migrate.js');
  const { migrationFileNames } = await import('../../db/files.js');
  if (migrationFileNames(migrationsDir(config)).length === 0) return undefined;
  return ctx.out.step('applying migrations', () => migrate(config, target, { signal: ctx.signal }), (r) => `migrations: ${r.applied.length} applied`);
}

export function renderUp(ctx: Context, result: UpResult): string {
  const { c } = ctx.out;
  const rows = result.services.map((s) => [
    s.state === 'unmanaged' ? c.yellow('-') : c.green('✓'),
    s.name,
    s.state === 'unmanaged' ? 'not started by tm (start it yourself)' : s.state,
    s.url ?? '',
    s.ready_ms !== undefined && s.state === 'started' ? formatDuration(s.ready_ms) : '',
  ]);
  return renderTable(['', 'service', 'state', 'url', 'ready in'], rows);
}
