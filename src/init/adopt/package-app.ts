import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import type { Finding } from './report.js';

// The project's own app from package.json: its `dev` (else `start`) script as the command,
// a port from .env (PORT) or the code (`listen(3000)`, `next dev -p 4000`), and a health path
// from its routes (`/health`, Next.js' `app/api/health/route.ts`).

export interface PackageApp {
  /** The package's name, as a service name. */
  name: string;
  command: string;
  port?: number;
  health?: string;
  findings: Finding[];
}

/** Folders the code is looked for in, and how deep; generated and installed folders are skipped. */
const CODE_DIRS = ['src', 'app', 'pages', 'server', 'lib', 'api', 'routes', '.'];
const SKIP = new Set(['node_modules', '.git', '.next', 'dist', 'build', 'coverage', '.taskmaster', 'vendor']);
const CODE = /\.(m?[jt]sx?|cjs)$/;
/** Health paths, the most telling first. */
const HEALTH_PATHS = ['/health/ready', '/healthz', '/readyz', '/health', '/api/health', '/status'];

export function packageApp(root: string, envPort: string | undefined): PackageApp | undefined {
  let pkg: { name?: string; scripts?: Record<string, string> };
  try {
    pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as typeof pkg;
  } catch {
    return undefined;
  }
  const script = pkg.scripts?.dev !== undefined ? 'dev' : pkg.scripts?.start !== undefined ? 'start' : undefined;
  if (!script) return undefined;
  const findings: Finding[] = [];
  const body = pkg.scripts![script]!;
  const command = script === 'start' ? 'npm start' : `npm run ${script}`;
  findings.push({ from: `package.json scripts.${script}`, to: 'command', status: 'mapped', detail: `${command} (${body})` });
  const files = codeFiles(root);
  const port = portOf(root, body, envPort, files, findings);
  const health = healthOf(root, files);
  if (health) findings.push({ from: relative(root, health.file), to: 'health', status: 'mapped', detail: `route ${health.path}` });
  else findings.push({ from: 'package.json', status: 'note', detail: 'no health route found in the code: tm waits for the port to accept' });
  const name =
    (pkg.name ?? 'app')
      .replace(/^@[^/]+\//, '')
      .replace(/[^A-Za-z0-9_.-]+/g, '-')
      .replace(/^[^A-Za-z0-9]+/, '') || 'app';
  return { name, command, port, health: health && port !== undefined ? `http://localhost:${port}${health.path}` : undefined, findings };
}

function portOf(root: string, script: string, envPort: string | undefined, files: string[], findings: Finding[]): number | undefined {
  if (envPort && /^\d+$/.test(envPort)) {
    findings.push({ from: '.env PORT', to: 'port', status: 'mapped', detail: envPort });
    return Number(envPort);
  }
  const flag = /(?:^|\s)(?:-p|--port)[= ](\d+)/.exec(script)?.[1];
  if (flag) {
    findings.push({ from: 'package.json script', to: 'port', status: 'mapped', detail: flag });
    return Number(flag);
  }
  for (const f of files) {
    const text = readFileSync(f, 'utf8');
    const m = /\.listen\(\s*(?:process\.env\.PORT\s*(?:\|\||\?\?)\s*)?['"]?(\d{2,5})\b/.exec(text) ?? /\bPORT\s*(?:\|\||\?\?)\s*['"]?(\d{2,5})\b/.exec(text);
    if (m) {
      findings.push({ from: relative(root, f), to: 'port', status: 'mapped', detail: m[1]! });
      return Number(m[1]);
    }
  }
  if (/\bnext\s+(dev|start)\b/.test(script)) {
    findings.push({ from: 'package.json script', to: 'port', status: 'mapped', detail: "3000 (next's default)" });
    return 3000;
  }
  findings.push({
    from: 'package.json',
    status: 'unmapped',
    detail: 'no port found (PORT in .env, listen(N) in the code): the app has none in taskmaster.yml',
  });
  return undefined;
}

function healthOf(root: string, files: string[]): { path: string; file: string } | undefined {
  // Next.js routes are files: app/api/health/route.ts, pages/api/health.ts.
  for (const f of files) {
    const rel = relative(root, f).split('\\').join('/');
    const route = /^(?:src\/)?app(\/.*)\/route\.[jt]sx?$/.exec(rel)?.[1] ?? /^(?:src\/)?pages(\/api\/.*?)(?:\/index)?\.[jt]sx?$/.exec(rel)?.[1];
    if (route && HEALTH_PATHS.includes(route)) return { path: route, file: f };
  }
  let best: { path: string; file: string; rank: number } | undefined;
  for (const f of files) {
    const text = readFileSync(f, 'utf8');
    for (const m of text.matchAll(/['"`](\/[\w/-]*)['"`]/g)) {
      const rank = HEALTH_PATHS.indexOf(m[1]!);
      if (rank !== -1 && (!best || rank < best.rank)) best = { path: m[1]!, file: f, rank };
    }
  }
  return best;
}

/** The project's code files, a bounded walk. */
function codeFiles(root: string): string[] {
  const out: string[] = [];
  const walk = (dir: string, depth: number) => {
    if (depth > 6 || out.length > 2000) return;
    let entries: string[];
    try {
      entries = readdirSync(dir).sort();
    } catch {
      return;
    }
    for (const e of entries) {
      if (SKIP.has(e) || e.startsWith('.')) continue;
      const p = join(dir, e);
      const s = statSync(p, { throwIfNoEntry: false });
      if (s?.isDirectory()) walk(p, depth + 1);
      else if (s?.isFile() && CODE.test(e) && s.size < 512 * 1024) out.push(p);
    }
  };
  for (const d of CODE_DIRS) {
    const dir = join(root, d);
    if (d === '.') {
      for (const e of readdirSync(root).sort()) if (CODE.test(e) && statSync(join(root, e)).isFile()) out.push(join(root, e));
    } else if (existsSync(dir)) walk(dir, 0);
  }
  return [...new Set(out)];
}
