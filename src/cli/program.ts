import { Command, Option, type OptionValues } from '@commander-js/extra-typings';
import type { Context } from './context.js';
import {
  databaseUrlOption,
  durationDefault,
  durationOption,
  integerOption,
  lockTimeoutOption,
  portOption,
  portsOption,
  runtimeOption,
  seedEnvOption,
  timeoutOption,
} from './options.js';

/**
 * What a command module exports: `run` with the options it declares (its `XOptions` type).
 * A command that runs a program in the foreground resolves with that program's exit code.
 */
export interface CommandModule<O> {
  // biome-ignore lint/suspicious/noConfusingVoidType: most commands return nothing; `undefined` would make each say so
  run(ctx: Context, opts: O, args: string[]): Promise<void | number>;
}
export type Loader<O> = () => Promise<CommandModule<O>>;
/**
 * Turns a lazily imported command module into a commander action. The action's `this` is the
 * command with the options declared here: a module whose options type asks for more (or for
 * another type) than the command declares does not compile.
 */
export type Lazy = <O extends OptionValues>(loader: Loader<O>) => (this: Command<unknown[], O>, ...actionArgs: unknown[]) => void;

/**
 * Every command, option and help text. Command modules are not imported here: `lazy` wraps
 * each loader, so building the program costs only commander.
 */
export function buildProgram(version: string, lazy: Lazy, onError: (text: string) => void) {
  const program = new Command('tm')
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
      '\nExit codes: 0 ok, 1 problems found, 2 usage, 3 config/env invalid, 4 runtime ' +
        'unavailable,\n5 timeout, 6 migration/seed failed, 70 internal error, 130 interrupted.',
    );

  program
    .command('health')
    .description('probe every service by its protocol (Postgres SELECT 1, Redis PING, AMQP, MySQL, memcached, NATS, SMTP, HTTP) and report latencies')
    .option('--wait', 'keep probing until every service is ready (exit 5 on timeout)')
    .addOption(durationOption('--timeout <duration>', 'how long --wait waits (default: 30s); without --wait, how long one probe may take (default: 2s)'))
    .addOption(durationDefault('--attempt-timeout <duration>', 'bound for one probe attempt', '2s').hideHelp())
    .argument('[service...]', 'only these services')
    .action(lazy(() => import('./commands/health.js')));

  program
    .command('init')
    .description('start a project from a template: minimal, express-pg, next-prisma; or --adopt an existing one')
    .argument('[dir]', 'where (default: here)')
    .option('--adopt', 'write taskmaster.yml from what the project has: compose files, .env.example / .env, package.json, migrations')
    .option('--template <name>', 'minimal | express-pg | next-prisma', 'minimal')
    .option('--name <name>', 'project name (default: the directory name)')
    .addOption(portOption('--pg-port <port>', 'Postgres port', 5432))
    .addOption(portOption('--redis-port <port>', 'Redis port', 6379))
    .addOption(portOption('--app-port <port>', 'app port (express-pg)', 3000))
    // What the new taskmaster.yml says, checked with the other answers (not the runtime to use now).
    .option('--runtime <name>', 'auto, native or docker', 'auto')
    .option('--branches', 'db.branches: true, each git branch gets a database of its own (and, in a git work tree, tm hooks install)')
    .option('--no-install', "do not install the template's dependencies (npm, or the pnpm / yarn tm runs through)")
    .action(lazy(() => import('./commands/init.js')));
  program
    .command('up')
    .description('start the services, wait until they are usable, print their URLs')
    .argument('[service...]', 'only these services')
    .addOption(timeoutOption('how long to wait for readiness (exit 5 after)', '60s'))
    .option('--no-migrate', 'do not apply pending migrations once Postgres is ready')
    .option('--no-seed', 'do not run new or changed seeds after migrating')
    .option('--from <stack>', "a new stack's data: a copy of this stack's database (folder path or name; default: the project's first stack), or none")
    .addOption(portsOption())
    .addOption(runtimeOption())
    .action(lazy(() => import('./commands/up.js')));
  program
    .command('down')
    .description('stop the services (data is kept unless --volumes)')
    .argument('[service...]', 'only these services')
    .option('--volumes', 'also delete their data, once they are stopped')
    .option('--all', 'stop every stack of every project on this machine (tm ls lists them; data kept)')
    .addOption(runtimeOption())
    .action(lazy(() => import('./commands/down.js')));
  program
    .command('ls')
    .description('every stack on this machine (worktrees, clones): project, path, branch, runtime, ports, state, uptime, data size')
    .action(lazy(() => import('./commands/ls.js')));
  program
    .command('prune')
    .description('remove the stacks whose folder is gone, with their processes, containers, volumes and data (asks first)')
    .action(lazy(() => import('./commands/prune.js')));
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
    .addOption(timeoutOption('how long to wait for readiness', '60s'))
    .addOption(portsOption())
    .addOption(runtimeOption())
    .action(lazy(() => import('./commands/restart.js')));
  program
    .command('logs')
    .description("print a service's log (all services when none is named)")
    .argument('[service...]', 'only these services')
    .option('-f, --follow', 'keep printing new lines until Ctrl-C')
    .addOption(
      integerOption('-n, --tail <lines>', 'how many lines from the end', { min: 0, is: 'a number of lines', hint: 'e.g. --tail 50' }).default(100, '"100"'),
    )
    .addOption(runtimeOption())
    .action(lazy(() => import('./commands/logs.js')));

  // Programs run for a service: their arguments pass through (after `--` when one starts like
  // a flag of tm's own: -v, -y, -C, -V), and so do stdin, stdout and the exit code.
  const passing = "\nArguments after -- go to the program as they are; its exit code is tm's.";
  program
    .command('psql')
    .description("open psql on the project's Postgres, logged in (the password never on a command line)")
    .argument('[args...]', "psql's arguments, e.g. -- -c 'select 1'")
    .option('--service <name>', 'which postgres service (default: the first)')
    .addOption(runtimeOption())
    .allowUnknownOption()
    .addHelpText('after', passing)
    .action(lazy(() => import('./commands/psql.js')));
  program
    .command('redis-cli')
    .description("open redis-cli on the project's Redis, authenticated (the password never on a command line)")
    .argument('[args...]', "redis-cli's arguments, e.g. ping")
    .option('--service <name>', 'which redis service (default: the first)')
    .addOption(runtimeOption())
    .allowUnknownOption()
    .addHelpText('after', passing)
    .action(lazy(() => import('./commands/redis-cli.js')));
  program
    .command('shell')
    .description("open a service's client: postgres -> psql, redis -> redis-cli")
    .argument('<service>', 'the service')
    .argument('[args...]', "the client's arguments")
    .addOption(runtimeOption())
    .allowUnknownOption()
    .addHelpText('after', passing)
    .action(lazy(() => import('./commands/shell.js')));
  program
    .command('exec')
    .description("run a command in a service's container (Docker), or here with its environment (native: an app's env in its folder; PG* or REDISCLI_AUTH)")
    .argument('<service>', 'the service')
    .argument('<command...>', 'the command, after --: tm exec api -- npm test')
    .addOption(runtimeOption())
    .allowUnknownOption()
    .addHelpText('after', passing)
    .action(lazy(() => import('./commands/exec.js')));

  program
    .command('open')
    .description("print a service's web URL (an app's port) and open it in the browser when there is a desktop")
    .argument('[service]', 'the service (default: the first with a web page)')
    .action(lazy(() => import('./commands/open.js')));

  const db = program.command('db').description('migrations, seeds, reset and snapshots of the database');
  /** A `tm db` command: every one may be pointed at a database with --database-url. */
  const dbCommand = (name: string, description: string) => db.command(name).description(description).addOption(databaseUrlOption());
  dbCommand(
    'migrate',
    "apply pending migrations, each in its own transaction, under a lock; the first run takes over dbmate's, golang-migrate's or Flyway's history",
  )
    .option('--to <version>', 'apply up to and including this version (Prisma: this folder name or its timestamp)')
    .option('--dry-run', 'print the SQL that would run (and the history it would take over); change nothing')
    .option('--allow-out-of-order', 'apply files older than the newest applied one')
    .option('--strict', 'Prisma: refuse when an applied migration was modified')
    .addOption(lockTimeoutOption('how long to wait for another runner (exit 5 after)'))
    .action(lazy(() => import('./commands/db-migrate.js')));
  dbCommand('rollback', 'run the down section of the newest applied migration(s)')
    .addOption(integerOption('--steps <n>', 'how many to roll back (default 1)', { min: 1, is: 'a positive number', hint: 'e.g. --steps 2' }))
    .option('--to <version>', 'roll back everything newer than this version')
    .addOption(lockTimeoutOption())
    .action(lazy(() => import('./commands/db-rollback.js')));
  dbCommand('status', 'applied, pending, edited and missing migrations')
    .option('--exit-code', 'exit 1 when migrations are pending (or the history has problems)')
    .option('--strict', 'Prisma: a modified applied migration is an error, not a warning')
    .action(lazy(() => import('./commands/db-status.js')));
  dbCommand('drift', 'compare the live schema with the schema the migration files produce (exit 1 on drift)')
    .addOption(seedEnvOption('whose cached reset template to start from (default: TM_ENV, then development)').hideHelp())
    .action(lazy(() => import('./commands/db-drift.js')));
  dbCommand('resolve', 'Prisma: mark a failed migration rolled back, or a migration applied (as prisma migrate resolve)')
    .option('--applied <name>', 'record the migration as applied without running it')
    .option('--rolled-back <name>', 'record the failed migration as rolled back, so it runs again')
    .addOption(lockTimeoutOption())
    .action(lazy(() => import('./commands/db-resolve.js')));
  dbCommand('new', 'write db/migrations/YYYYMMDDHHMMSS_<name>.sql with up and down markers')
    .argument('<name...>', 'what the migration does, e.g. create_users')
    .option('--seed', 'write db/seeds/<name>.sql (an idempotent upsert example) instead')
    .action(lazy(() => import('./commands/db-new.js')));
  dbCommand('seed', 'run db/seeds/* then db/seeds/<env>/* that are new or changed, each in a transaction')
    .addOption(seedEnvOption('which db/seeds/<env>/ folder (default: TM_ENV, then development)'))
    .option('--reset', 'forget which seeds ran, and run them all')
    .action(lazy(() => import('./commands/db-seed.js')));
  dbCommand('reset', 'drop, create, migrate and seed the database (from a cached template when files are unchanged)')
    .addOption(seedEnvOption('seed environment (default: TM_ENV, then development)'))
    .option('--force', 'allow a database that is not on this machine')
    .action(lazy(() => import('./commands/db-reset.js')));
  dbCommand('snapshot', 'copy the database under NAME (CREATE DATABASE ... TEMPLATE)')
    .argument('[name]', 'lowercase letters, digits and _ (default: a timestamp)')
    .option('--delete <name>', 'delete that snapshot instead')
    .action(lazy(() => import('./commands/db-snapshot.js')));
  dbCommand('restore', 'replace the database with a copy of snapshot NAME')
    .argument('<name>', 'the snapshot')
    .option('--force', 'allow a database that is not on this machine')
    .action(lazy(() => import('./commands/db-restore.js')));
  dbCommand('dump', 'write the database to FILE: .sql (plain SQL) or .dump (pg_dump custom format), .gz to compress; stdout when - or none')
    .argument('[file]', 'e.g. db.sql.gz (default: plain SQL on stdout)')
    .addOption(runtimeOption())
    .action(lazy(() => import('./commands/db-dump.js')));
  dbCommand('import', "replace the database with FILE's content (.sql, .dump, .gz as tm db dump writes them); asks first")
    .argument('<file>', 'the file')
    .option('--force', 'allow a database that is not on this machine')
    .addOption(runtimeOption())
    .action(lazy(() => import('./commands/db-import.js')));
  dbCommand('branches', 'the databases of git branches (db.branches): size, last use, where each came from')
    .option('--prune', 'drop the branch databases whose branch was deleted (asks first; --yes)')
    .action(lazy(() => import('./commands/db-branches.js')));
  dbCommand('snapshots', 'list the snapshots of the database').action(lazy(() => import('./commands/db-snapshots.js')));
  dbCommand('redo', 'roll back the newest migration and apply it again')
    .addOption(lockTimeoutOption())
    .action(lazy(() => import('./commands/db-redo.js')));
  dbCommand('wait', 'wait until the database server accepts connections')
    .addOption(timeoutOption('exit 5 after', '30s'))
    .action(lazy(() => import('./commands/db-wait.js')));
  dbCommand('repair', 'accept edited files (re-record checksums) and forget applied files that are gone')
    .argument('[version]', 'only this migration')
    .option('--dry-run', 'say what would be repaired; change nothing')
    .addOption(lockTimeoutOption())
    .action(lazy(() => import('./commands/db-repair.js')));

  const hooks = program.command('hooks').description('git hooks: the database follows the branch (db.branches)');
  hooks
    .command('install')
    .description("write a git post-checkout hook that points .env's DATABASE_URL at the branch's database (appended to an existing hook)")
    .action(lazy(() => import('./commands/hooks-install.js')));
  hooks
    .command('run')
    .description('what the installed hook runs: tm hooks run post-checkout <previous HEAD> <new HEAD> <1: branch checkout>')
    .argument('<hook>', 'post-checkout')
    .argument('[args...]', "git's arguments to the hook")
    .action(lazy(() => import('./commands/hooks-run.js')));

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
    .addOption(seedEnvOption('seed environment').default('test'))
    .addOption(timeoutOption('how long to wait for services', '120s'))
    .addOption(portsOption())
    .option('--strict', 'also fail when the schema drifts from the migrations (the drift step, as tm db drift)')
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
    .addOption(durationDefault('--check-timeout <duration>', 'time limit of each check', '5s'))
    .action(lazy(() => import('./commands/doctor.js')));
  program
    .command('render')
    .description('write a file from taskmaster.yml: compose, env-example, dockerfile, dockerignore, github-actions, schema, k8s')
    .argument('<target>', 'compose | env-example | dockerfile | dockerignore | github-actions | schema | k8s')
    .option('--out <path>', 'write it here (inside the project) instead of stdout')
    .option('--check', 'exit 1 with a diff when the file on disk (--out, or the usual path) differs')
    .option('--test-db', "compose: add the first Postgres service's test database (test-db, on tmpfs), as test_database: true does")
    .option('--service <name>', 'dockerfile: the app service to build')
    .option('--namespace <name>', 'k8s: the namespace of the kustomization')
    .option('--migrate-image <image>', 'k8s: image with tm and the migrations, for the Job and init containers')
    .option('--with-secrets', 'k8s: fill the Secret from .env (placeholders otherwise)')
    .option('--base-image <image>', 'dockerfile, k8s (migrate.Dockerfile): the Node base image (default node:20-bookworm-slim)')
    .action(lazy(() => import('./commands/render.js')));

  return program;
}
