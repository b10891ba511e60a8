import { relative } from 'node:path';
import { render, TARGETS, type Target } from '../../render/targets.js';
import { driftOf, outputPath, writeRendered } from '../../render/write.js';
import { EXIT, TmError } from '../../errors.js';
import type { Context } from '../context.js';

export async function run(ctx: Context, opts: Record<string, unknown>, args: string[]): Promise<void> {
  if (args[0] === 'k8s') return renderKubernetes(ctx, opts);
  const target = args[0] as Target;
  if (!TARGETS.includes(target)) {
    throw new TmError('TM_USAGE', `unknown render target "${args[0]}"`, { exit: EXIT.usage, hint: `targets: ${TARGETS.join(', ')}` });
  }
  const config = await ctx.config();
  const rendered = await render(config, target, { testDb: opts.testDb ? true : undefined, service: opts.service as string | undefined });
  const path = (opts.out as string | undefined) ?? (opts.check ? rendered.path : undefined);
  if (!path) {
    // Rendered files hold no secrets by construction (passwords go by variable), and masking
    // would corrupt the `${VAR}` references inside URLs: print them as they are.
    ctx.out.result({ target, path: rendered.path, text: rendered.text }, () => rendered.text.replace(/\n$/, ''), { reveal: true });
    return;
  }
  const file = outputPath(config.root, path);
  const shown = relative(config.root, file);
  if (opts.check) {
    const diff = await driftOf(file, shown, rendered.text);
    ctx.out.result({ target, path: shown, up_to_date: diff === undefined, diff }, () => diff ?? `${shown} is up to date`);
    if (diff) throw new TmError('TM_RENDER_DRIFT', `${shown} differs from what taskmaster.yml renders`, { exit: EXIT.problems, hint: `tm render ${target} --out ${shown}` });
    return;
  }
  await writeRendered(file, rendered.text);
  ctx.out.result({ target, path: shown, written: true }, () => `wrote ${shown}`);
}

/** `tm render k8s`: a kustomize base in a folder (default k8s/), or all of it on stdout. */
async function renderKubernetes(ctx: Context, opts: Record<string, unknown>): Promise<void> {
  const config = await ctx.config();
  const { renderK8s, hashFiles } = await import('../../render/k8s.js');
  const { detectPrisma, readPrismaMigrations } = await import('../../db/prisma.js');
  const { readMigrations } = await import('../../db/files.js');
  const { migrationsDir } = await import('../../db/migrate.js');
  const prisma = await detectPrisma(config);
  const migrations = prisma ? await readPrismaMigrations(prisma, config.root) : await readMigrations(migrationsDir(config), config.root);
  let secrets: Record<string, string> | undefined;
  if (opts.withSecrets) {
    const { resolveEnv } = await import('../../env/resolve.js');
    const state = await resolveEnv(config.root, config.env);
    secrets = Object.fromEntries([...state.vars.values()].filter((v) => v.value !== undefined).map((v) => [v.key, v.value!]));
    ctx.out.warn('--with-secrets: secret.yaml holds real values from .env; do not commit it');
  }
  const base = renderK8s(config, { namespace: opts.namespace as string | undefined, migrateImage: opts.migrateImage as string | undefined, secrets, migrationsHash: hashFiles(migrations) });
  for (const note of base.notes) ctx.out.info(`${ctx.out.ce.yellow('not translated:')} ${note}`);
  const names = Object.keys(base.files).sort();
  const dir = (opts.out as string | undefined) ?? (opts.check ? 'k8s' : undefined);
  // Placeholders hold no secret, and --with-secrets is the user asking for the values.
  const reveal = { reveal: true };
  if (!dir) {
    ctx.out.result({ target: 'k8s', files: base.files, notes: base.notes }, () => names.map((n) => `# ${n}\n${base.files[n]}`).join('---\n'), reveal);
    return;
  }
  const folder = outputPath(config.root, dir);
  if (opts.check) {
    const diffs: string[] = [];
    for (const n of names) {
      const d = await driftOf(`${folder}/${n}`, `${relative(config.root, folder)}/${n}`, base.files[n]!);
      if (d) diffs.push(d);
    }
    ctx.out.result({ target: 'k8s', dir: relative(config.root, folder), up_to_date: diffs.length === 0, diffs }, () => diffs.join('\n') || `${relative(config.root, folder)}/ is up to date`, reveal);
    if (diffs.length) throw new TmError('TM_RENDER_DRIFT', `${diffs.length} file(s) in ${relative(config.root, folder)}/ differ from what taskmaster.yml renders`, { exit: EXIT.problems, hint: `tm render k8s --out ${relative(config.root, folder)}` });
    return;
  }
  for (const n of names) await writeRendered(`${folder}/${n}`, base.files[n]!);
  ctx.out.result({ target: 'k8s', dir: relative(config.root, folder), files: names, notes: base.notes }, () => `wrote ${names.length} files to ${relative(config.root, folder)}/ (kubectl apply -k ${relative(config.root, folder)})`);
}
