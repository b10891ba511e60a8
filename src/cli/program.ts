import { Command, Option } from 'commander';
import type { Context } from './context.js';

export type Handler = (ctx: Context, opts: Record<string, unknown>, args: string[]) => Promise<void>;
export type Loader = () => Promise<{ run: Handler }>;
/** Turns a lazily imported command module into a commander action. */
export type Lazy = (loader: Loader) => (...actionArgs: unknown[]) => void;

/**
 * Every command, option and help text. Command modules are not imported here: `lazy` wraps
 * each loader, so building the program costs only commander.
 */
export function buildProgram(version: string, lazy: Lazy, onError: (text: string) => void): Command {
  const program = new Command('tm');
  program
    .description('taskmaster: your whole local stack (Postgres, Redis, app) with one command')
    .version(version, '-V, --version', 'print the version')
    .option('--json', 'print the result as one JSON document on stdout')
    .option('--no-color', 'no colour in output (NO_COLOR works too)')
    .option('-v, --verbose', 'more detail on stderr')
    .option('-y, --yes', 'answer yes to questions (required to proceed without a TTY)')
    .option('-C, --cwd <dir>', 'run as if started in <dir>')
    .option('--config <file>', 'use this taskmaster.yml instead of searching for one')
    .showSuggestionAfterError(true)
    // `tm status --help` lists --json, -C... too (settings are inherited by the commands below).
    .configureHelp({ showGlobalOptions: true })
    .exitOverride()
    .configureOutput({ outputError: onError })
    .addHelpText(
      'after',
      '\nExit codes: 0 ok, 1 problems found, 2 usage, 3 config/env invalid, 4 runtime unavailable,\n5 timeout, 6 migration/seed failed, 70 internal error, 130 interrupted.',
    );

  program
    .command('health')
    .description('probe every service by its protocol (Postgres SELECT 1, Redis PING, AMQP, MySQL, memcached, NATS, SMTP, HTTP) and report latencies')
    .option('--wait', 'keep probing until every service is ready (exit 5 on timeout)')
    .option('--timeout <duration>', 'how long --wait waits (default: 30s); without --wait, how long one probe may take (default: 2s)')
    .addOption(new Option('--attempt-timeout <duration>', 'bound for one probe attempt').default('2s').hideHelp())
    .argument('[service...]', 'only these services')
    .action(lazy(() => import('./commands/health.js')));

  const runtimeOption = () => new Option('--runtime <name>', 'auto, native or docker (default: TM_RUNTIME, then taskmaster.yml)');
  program
    .command('init')
    .description('start a project from a template: minimal, express-pg, next-prisma')
    .argument('[dir]', 'where (default: here)')
    .option('--template <name>', 'minimal | express-pg | next-prisma', 'minimal')
    .option('--name <name>', 'project name (default: the directory name)')
    .option('--pg-port <port>', 'Postgres port', '5432')
    .option('--redis-port <port>', 'Redis port', '6379')
    .option('--app-port <port>', 'app port (express-pg)', '3000')
    .option('--runtime <name>', 'auto, native or docker', 'auto')
    .option('--no-install', "do not install the template's dependencies (npm, or the pnpm / yarn tm runs through)")
    .action(lazy(() => import('./commands/init.js')));
  program
    .command('up')
    .description('start the services, wait until they are usable, print their URLs')
    .argument('[service...]', 'only these services')
    .option('--timeout <duration>', 'how long to wait for readiness (exit 5 after)', '60s')
    .option('--no-migrate', 'do not apply pending migrations once Postgres is ready')
    .option('--no-seed', 'do not run new or changed seeds after migrating')
    .addOption(runtimeOption())
    .action(lazy(() => import('./commands/up.js')));
  program
    .command('down')
    .description('stop the services (data is kept unless --volumes)')
    .argument('[service...]', 'only these services')
    .option('--volumes', 'also delete their data, once they are stopped')
    .addOption(runtimeOption())
    .action(lazy(() => import('./commands/down.js')));
  program
    .command('status')
    .description('state, pid, port, health and uptime of each service, from the running processes')
    .argument('[service...]', 'only these services')
    .addOption(runtimeOption())
    .action(lazy(() => import('./commands/status.js')));
  program
    .command('restart')
    .description('stop and start services again')
    .argument('[service...]', 'only these services')
    .option('--timeout <duration>', 'how long to wait for readiness', '60s')
    .addOption(runtimeOption())
    .action(lazy(() => import('./commands/restart.js')));
  program
    .command('logs')
    .description("print a service's log (all services when none is named)")
    .argument('[service...]', 'only these services')
    .option('-f, --follow', 'keep printing new lines until Ctrl-C')
    .option('-n, --tail <lines>', 'how many lines from the end', '100')
    .addOption(runtimeOption())
    .action(lazy(() => import('./commands/logs.js')));

  const db = program.command('db').description('migrations, seeds, reset and snapshots of the database');
  const dbCommand = (name: string, description: string, loader: Loader) =>
    db
      .command(name)
      .description(description)
      .option('--database-url <url>', 'talk to this database (default: DIRECT_URL, DATABASE_URL, then services.postgres)')
      .action(lazy(loader));
  dbCommand('migrate', 'apply pending migrations, each in its own transaction, under a lock', () => import('./commands/db-migrate.js'))
    .option('--to <version>', 'apply up to and including this version (Prisma: this folder name or its timestamp)')
    .option('--dry-run', 'print the SQL that would run; change nothing')
    .option('--allow-out-of-order', 'apply files older than the newest applied one')
    .option('--strict', 'Prisma: refuse when an applied migration was modified')
    .option('--lock-timeout <duration>', 'how long to wait for another runner (exit 5 after)', '10s');
  dbCommand('rollback', 'run the down section of the newest applied migration(s)', () => import('./commands/db-rollback.js'))
    .option('--steps <n>', 'how many to roll back (default 1)')
    .option('--to <version>', 'roll back everything newer than this version')
    .option('--lock-timeout <duration>', 'how long to wait for another runner', '10s');
  dbCommand('status', 'applied, pending, edited and missing migrations', () => import('./commands/db-status.js'))
    .option('--exit-code', 'exit 1 when migrations are pending (or the history has problems)')
    .option('--strict', 'Prisma: a modified applied migration is an error, not a warning');
  dbCommand(
    'resolve',
    'Prisma: mark a failed migration rolled back, or a migration applied (as prisma migrate resolve)',
    () => import('./commands/db-resolve.js'),
  )
    .option('--applied <name>', 'record the migration as applied without running it')
    .option('--rolled-back <name>', 'record the failed migration as rolled back, so it runs again')
    .option('--lock-timeout <duration>', 'how long to wait for another runner', '10s');
  dbCommand('new', 'write db/migrations/YYYYMMDDHHMMSS_<name>.sql with up and down markers', () => import('./commands/db-new.js'))
    .argument('<name...>', 'what the migration does, e.g. create_users')
    .option('--seed', 'write db/seeds/<name>.sql (an idempotent upsert example) instead');
  dbCommand('seed', 'run db/seeds/* then db/seeds/<env>/* that are new or changed, each in a transaction', () => import('./commands/db-seed.js'))
    .option('--env <name>', 'which db/seeds/<env>/ folder (default: TM_ENV, then development)')
    .option('--reset', 'forget which seeds ran, and run them all');
  dbCommand('reset', 'drop, create, migrate and seed the database (from a cached template when files are unchanged)', () => import('./commands/db-reset.js'))
    .option('--env <name>', 'seed environment (default: TM_ENV, then development)')
    .option('--force', 'allow a database that is not on this machine');
  dbCommand('snapshot', 'copy the database under NAME (CREATE DATABASE ... TEMPLATE)', () => import('./commands/db-snapshot.js'))
    .argument('[name]', 'lowercase letters, digits and _ (default: a timestamp)')
    .option('--delete <name>', 'delete that snapshot instead');
  dbCommand('restore', 'replace the database with a copy of snapshot NAME', () => import('./commands/db-restore.js'))
    .argument('<name>', 'the snapshot')
    .option('--force', 'allow a database that is not on this machine');
  dbCommand('snapshots', 'list the snapshots of the database', () => import('./commands/db-snapshots.js'));
  dbCommand('redo', 'roll back the newest migration and apply it again', () => import('./commands/db-redo.js')).option(
    '--lock-timeout <duration>',
    'how long to wait for another runner',
    '10s',
  );
  dbCommand('wait', 'wait until the database server accepts connections', () => import('./commands/db-wait.js')).option(
    '--timeout <duration>',
    'exit 5 after',
    '30s',
  );
  dbCommand('repair', 'accept edited files (re-record checksums) and forget applied files that are gone', () => import('./commands/db-repair.js'))
    .argument('[version]', 'only this migration')
    .option('--dry-run', 'say what would be repaired; change nothing')
    .option('--lock-timeout <duration>', 'how long to wait for another runner', '10s');

  const env = program.command('env').description('the env contract: check, init, diff, show');
  env
    .command('check')
    .description('check the environment against the contract in taskmaster.yml (exit 3 when invalid)')
    .action(lazy(() => import('./commands/env-check.js')));
  env
    .command('init')
    .description('create .env from the contract and .env.example, generating secrets')
    .option('--merge', 'append missing keys to an existing .env (existing values untouched)')
    .option('--force', 'rewrite an existing .env (a backup is kept)')
    .action(lazy(() => import('./commands/env-init.js')));
  env
    .command('diff')
    .description('keys of the contract, .env.example and .env side by side (exit 1 on drift)')
    .action(lazy(() => import('./commands/env-diff.js')));
  env
    .command('show')
    .description('the resolved environment and where each value comes from; secrets masked')
    .option('--reveal', 'print secret values')
    .action(lazy(() => import('./commands/env-show.js')));

  program
    .command('ci')
    .description('the CI step: env check, services (or --external ones), migrate, seed, apps, health; GitHub annotations')
    .option('--external', 'services are provided (e.g. GitHub Actions service containers via DATABASE_URL / REDIS_URL)')
    .option('--env <name>', 'seed environment', 'test')
    .option('--timeout <duration>', 'how long to wait for services', '120s')
    .action(lazy(() => import('./commands/ci.js')));
  program
    .command('completion')
    .description('print a shell completion script: tm completion bash >> ~/.bashrc')
    .argument('[shell]', 'bash, zsh or fish', 'bash')
    .addOption(new Option('--services', 'print the configured service names (used by the scripts)').hideHelp())
    .action(lazy(() => import('./commands/completion.js')));
  program
    .command('doctor')
    .description('diagnose the stack: config, env, runtime, binaries, ports, data, services, migrations (exit 1 on problems)')
    .option('--fix', 'repair the safe subset: .env keys and secrets, stale PID files, clashing ports')
    .option('--strict', 'warnings fail too')
    .option('--check-timeout <duration>', 'time limit of each check', '5s')
    .action(lazy(() => import('./commands/doctor.js')));
  program
    .command('render')
    .description('write a file from taskmaster.yml: compose, env-example, dockerfile, dockerignore, github-actions, schema, k8s')
    .argument('<target>', 'compose | env-example | dockerfile | dockerignore | github-actions | schema | k8s')
    .option('--out <path>', 'write it here (inside the project) instead of stdout')
    .option('--check', 'exit 1 with a diff when the file on disk (--out, or the usual path) differs')
    .option('--test-db', 'compose: add a throwaway test-db Postgres on tmpfs (as docker.test_db: true does)')
    .option('--service <name>', 'dockerfile: the app service to build')
    .option('--namespace <name>', 'k8s: the namespace of the kustomization')
    .option('--migrate-image <image>', 'k8s: image with tm and the migrations, for the Job and init containers')
    .option('--with-secrets', 'k8s: fill the Secret from .env (placeholders otherwise)')
    .option('--base-image <image>', 'dockerfile, k8s (migrate.Dockerfile): the Node base image (default node:20-bookworm-slim)')
    .action(lazy(() => import('./commands/render.js')));

  return program;
}
