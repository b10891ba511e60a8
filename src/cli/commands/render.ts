import { existsSync } from 'node:fs';
import { readdir } from 'node:fs/promises';
import { dirname, join, relative } from 'node:path';
import { render, TARGETS, type Target } from '../../render/targets.js';
import { driftOf, outputPath, writeRendered, type Drift } from '../../render/write.js';
import { EXIT, TmError } from '../../errors.js';
import type { Context } from '../context.js';
import { readK8sInputs, renderK8s } from '../../render/k8s.js';
import { resolveEnv } from '../../env/resolve.js';

/** The options of `tm render`; some apply to one target only (program.ts says which). */
export type RenderFlags = {
  out?: string;
  check?: boolean;
  testDb?: boolean;
  service?: string;
  namespace?: string;
  migrateImage?: string;
  withSecrets?: boolean;
  baseImage?: string;
};

export async function run(ctx: Context, opts: RenderFlags, args: string[]): Promise<void> {
  const target = args[0] ?? '';
  if (target === 'k8s') return renderKubernetes(ctx, opts);
  if (!isTarget(target)) {
    throw new TmError('TM_USAGE', `unknown render target "${target}"`, { exit: EXIT.usage, hint: `targets: ${[...TARGETS, 'k8s'].join(', ')}` });
  }
  const config = await ctx.config();
  const rendered = await render(config, target, {
    testDb: opts.testDb ? true : undefined,
    service: opts.service,
    baseImage: opts.baseImage,
  });
  const path = opts.out ?? (opts.check ? rendered.path : undefined);
  if (!path) {
    // Rendered files hold no secrets by construction (passwords go by variable), and masking
    // would corrupt the `${VAR}` references inside URLs: print them as they are.
    ctx.out.result({ target, path: rendered.path, text: rendered.text }, () => rendered.text.replace(/\n$/, ''), { reveal: true });
    return;
  }
  const file = outputPath(config.root, path);
  const shown = relative(config.root, file);
  if (opts.check) {
    const drift = await driftOf(file, shown, rendered.text);
    // The on-disk side may hold real secrets; `${VAR}` references are shown as rendered.
    const diff = drift && ctx.out.redact(drift.diff);
    ctx.out.result(
      { target, path: shown, up_to_date: drift === undefined, state: drift?.state ?? 'up-to-date', diff },
      () => diff ?? `${shown} is up to date`,
      { reveal: true },
    );
    if (drift)
      throw new TmError('TM_RENDER_DRIFT', drift.state === 'missing' ? `${shown} is missing` : `${shown} differs from what taskmaster.yml renders`, {
        exit: EXIT.problems,
        hint: `tm render ${target} --out ${shown}`,
      });
    return;
  }
  await writeRendered(file, rendered.text);
  ctx.out.result({ target, path: shown, written: true }, () => `wrote ${shown}`);
  if (target === 'dockerfile' && !existsSync(join(dirname(file), '.dockerignore'))) {
    ctx.out.warn(
      `there is no .dockerignore beside ${shown}: COPY . . would put .env, node_modules and .taskmaster/ ` +
        `into the image; tm render dockerignore --out ${join(dirname(shown), '.dockerignore')}`,
    );
  }
}

function isTarget(name: string): name is Target {
  return TARGETS.some((t) => t === name);
}

/** `tm render k8s`: a kustomize base in a folder (default k8s/), or all of it on stdout. */
async function renderKubernetes(ctx: Context, opts: RenderFlags): Promise<void> {
  const config = await ctx.config();
  const inputs = await readK8sInputs(config);
  let secrets: Record<string, string> | undefined;
  if (opts.withSecrets) {
    const state = await resolveEnv(config.root, config.env);
    // The contract's and the env files' variables only: the rest of the shell's environment
    // (HOME, a CI token) never goes into secret.yaml, even when an app value names it.
    secrets = Object.fromEntries([...state.vars.values()].filter((v) => v.value !== undefined).map((v) => [v.key, v.value!]));
    ctx.out.warn('--with-secrets: secret.yaml holds real values from .env; do not commit it');
  }
  const dir = opts.out ?? (opts.check ? 'k8s' : undefined);
  const base = renderK8s(config, {
    ...inputs,
    namespace: opts.namespace,
    migrateImage: opts.migrateImage,
    baseImage: opts.baseImage,
    secrets,
  });
  for (const note of base.notes) ctx.out.info(`${ctx.out.ce.yellow('not translated:')} ${note}`);
  const names = Object.keys(base.files).sort();
  if (names.includes('migrate.Dockerfile') && !opts.migrateImage) {
    ctx.out.info(
      `build the migration image: docker build -f ` +
        `${dir ? relative(config.root, outputPath(config.root, dir)) : 'k8s'}/migrate.Dockerfile -t ${base.migrateImage} .`,
    );
  }
  // Placeholders hold no secret, and --with-secrets is the user asking for the values.
  const reveal = { reveal: true };
  if (!dir) {
    ctx.out.result({ target: 'k8s', files: base.files, notes: base.notes }, () => names.map((n) => `# ${n}\n${base.files[n]}`).join('---\n'), reveal);
    return;
  }
  const folder = outputPath(config.root, dir);
  const shownDir = relative(config.root, folder);
  const stale = (await readdir(folder).catch((): string[] => [])).filter((f) => /\.ya?ml$/.test(f) && !names.includes(f)).sort();
  if (opts.check) {
    const drifts: (Drift & { file: string })[] = [];
    for (const n of names) {
      const d = await driftOf(`${folder}/${n}`, `${shownDir}/${n}`, base.files[n]!);
      if (d) drifts.push({ ...d, file: `${shownDir}/${n}` });
    }
    for (const f of stale)
      drifts.push({ state: 'stale', file: `${shownDir}/${f}`, diff: `${shownDir}/${f}: not rendered from taskmaster.yml any more (delete it)` });
    const shownDiffs = drifts.map((d) => (opts.withSecrets ? d.diff : ctx.out.redact(d.diff)));
    const count = (state: Drift['state']) => drifts.filter((d) => d.state === state).length;
    ctx.out.result(
      { target: 'k8s', dir: shownDir, up_to_date: drifts.length === 0, files: drifts.map((d, i) => ({ path: d.file, state: d.state, diff: shownDiffs[i] })) },
      () => shownDiffs.join('\n') || `${shownDir}/ is up to date`,
      reveal,
    );
    if (drifts.length) {
      const parts = [
        ['differ', count('differs')],
        ['missing', count('missing')],
        ['stale', count('stale')],
      ]
        .filter(([, n]) => n)
        .map(([w, n]) => `${n} ${w}`);
      throw new TmError('TM_RENDER_DRIFT', `${shownDir}/ is out of date with taskmaster.yml: ${parts.join(', ')}`, {
        exit: EXIT.problems,
        hint: `tm render k8s --out ${shownDir}${stale.length ? ' (and delete the stale files)' : ''}`,
      });
    }
    return;
  }
  for (const n of names) await writeRendered(`${folder}/${n}`, base.files[n]!, { secret: base.secretFiles.includes(n) });
  for (const f of stale) ctx.out.warn(`${shownDir}/${f} is not rendered from taskmaster.yml any more; delete it`);
  ctx.out.result(
    { target: 'k8s', dir: shownDir, files: names, notes: base.notes },
    () => `wrote ${names.length} files to ${shownDir}/ (kubectl apply -k ${shownDir})`,
  );
}
