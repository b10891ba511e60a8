import { existsSync, readFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parse as parseDotenv } from 'dotenv';
import { Document } from 'yaml';
import { projectVariables, readEnvTexts, variablesFrom } from '../../config/env-files.js';
import { parseConfig } from '../../config/load.js';
import { EXIT, TmError } from '../../errors.js';
import { addToGitignore, defaultName } from '../init.js';
import { referencedVariables } from './compose-interpolate.js';
import { type AdoptedService, adoptCompose, describeService } from './compose-services.js';
import { readCompose } from './compose-read.js';
import { inferContract } from './env-contract.js';
import { findMigrations, migrationsConfig, migrationsFinding } from './migrations.js';
import { packageApp } from './package-app.js';
import type { Finding } from './report.js';

// tm init --adopt: what an existing repository already has (compose files, .env.example and
// .env, package.json, a migrations folder) read into a taskmaster.yml that reproduces it.
// Nothing the project has is overwritten; what could not be carried is listed.

export interface AdoptPlan {
  /** taskmaster.yml's text. */
  text: string;
  /** The files read. */
  read: string[];
  findings: Finding[];
  services: { name: string; kind: string }[];
}

export interface AdoptResult extends AdoptPlan {
  written: string[];
}

const CONFIG = 'taskmaster.yml';

/** Reads the project and composes taskmaster.yml, validated as tm will load it; writes nothing. */
export async function planAdoption(root: string, env: NodeJS.ProcessEnv = process.env): Promise<AdoptPlan> {
  const read: string[] = [];
  const findings: Finding[] = [];
  const envFiles = variablesFrom(readEnvTexts(root), {});
  const compose = readCompose(root, env);
  const services: AdoptedService[] = [];
  if (compose) {
    read.push(...compose.files);
    const adopted = adoptCompose(root, compose, envFiles);
    services.push(...adopted.services);
    findings.push(...adopted.findings);
  }

  const example = readDotenv(join(root, '.env.example'));
  const dotenv = readDotenv(join(root, '.env'));
  if (example) read.push('.env.example');
  if (dotenv) read.push('.env');
  // The variables services read their passwords from are secrets, whatever their names say.
  const secrets = new Set(
    services.flatMap((s) => ['password', 'root_password', 'token'].flatMap((k) => (typeof s.keys[k] === 'string' ? referencedVariables(s.keys[k]) : []))),
  );
  const { contract, findings: envFindings } = example || dotenv ? inferContract({ example, env: dotenv, secrets }) : { contract: {}, findings: [] };
  findings.push(...envFindings);

  const pkgApp = packageApp(root, envFiles.PORT);
  if (pkgApp) {
    read.push('package.json');
    findings.push(...withApp(services, pkgApp));
    // The service the app joined is described as it now is.
    for (const f of findings) {
      const svc = f.status === 'mapped' ? services.find((s) => f.to === `services.${s.name}`) : undefined;
      if (svc) f.detail = describeService(svc);
    }
  }

  for (const s of services.filter((x) => x.kind === 'app' && x.keys.command === undefined))
    findings.push({
      from: `services.${s.name}`,
      status: 'note',
      detail: `no command: the Docker runtime runs its image's; for local binaries (runtime native) add command: to services.${s.name}`,
    });

  const migrations = findMigrations(root);
  if (migrations) findings.push(migrationsFinding(root, migrations));

  const name = defaultName(packageName(root) ?? compose?.name ?? root);
  const doc = new Document({
    name,
    services: Object.fromEntries(services.map((s) => [s.name, s.keys])),
    ...(Object.keys(contract).length ? { env: contract } : {}),
    ...(migrations ? { db: migrationsConfig(migrations) } : {}),
  });
  doc.commentBefore = ` Written by tm init --adopt from ${read.join(', ') || 'an empty project'}.\n Check it, then: tm up (tm doctor lists what still differs from the compose file).`;
  const text = doc.toString({ lineWidth: 0 });
  // Validated as tm will load it, before anything is written.
  parseConfig(text, { file: join(root, CONFIG), root, vars: await projectVariables(root, env), displayFile: CONFIG });
  return { text, read, findings, services: services.map((s) => ({ name: s.name, kind: s.kind })) };
}

/** Writes the adopted taskmaster.yml; refuses when the project has one. */
export async function adoptProject(root: string, env: NodeJS.ProcessEnv = process.env): Promise<AdoptResult> {
  if (!existsSync(root))
    throw new TmError('TM_USAGE', `${root} does not exist`, {
      exit: EXIT.usage,
      hint: 'tm init --adopt reads a repository that is already there: run it in its folder',
    });
  refuseExisting(root);
  const plan = await planAdoption(root, env);
  if (plan.read.length === 0 && !plan.findings.some((f) => f.to?.startsWith('db.'))) {
    throw new TmError(
      'TM_ADOPT_NOTHING',
      `nothing to adopt in ${root}: no compose file, .env.example, .env, package.json or migrations folder; nothing was written`,
      {
        exit: EXIT.usage,
        hint: 'start a new project instead: tm init --template minimal',
      },
    );
  }
  try {
    // wx: never over a file that appeared meanwhile.
    await writeFile(join(root, CONFIG), plan.text, { flag: 'wx' });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') refuseExisting(root);
    throw new TmError('TM_INIT_WRITE', `cannot write ${CONFIG}: ${(err as Error).message}`, { exit: EXIT.problems, cause: err });
  }
  const gitignore = await addToGitignore(root);
  return { ...plan, written: [CONFIG, ...(gitignore.length ? ['.gitignore'] : [])] };
}

function refuseExisting(root: string): void {
  if (!existsSync(join(root, CONFIG))) return;
  throw new TmError('TM_INIT_CLASH', `${CONFIG} already exists here; tm init --adopt never overwrites it`, {
    exit: EXIT.usage,
    hint: `move it away first (mv ${CONFIG} ${CONFIG}.old) and run tm init --adopt again, or edit it by hand (tm doctor compares it with the compose file)`,
  });
}

function readDotenv(file: string): Record<string, string> | undefined {
  return existsSync(file) ? parseDotenv(readFileSync(file, 'utf8')) : undefined;
}

/** package.json's name, without its scope. */
function packageName(root: string): string | undefined {
  try {
    const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { name?: string };
    return pkg.name?.replace(/^@[^/]+\//, '') || undefined;
  } catch {
    return undefined;
  }
}

/**
 * The package.json app joins the compose service that builds the project (its command and
 * port for local runs), or becomes an app of its own that depends on the project's services.
 */
function withApp(services: AdoptedService[], app: NonNullable<ReturnType<typeof packageApp>>): Finding[] {
  const built = services.find((s) => s.kind === 'app' && s.buildsRoot);
  const target = built ?? { name: uniqueName(services, app.name), kind: 'app' as const, keys: {} };
  const keys = target.keys;
  const findings: Finding[] = app.findings.map((f) => ({ ...f, to: f.to && `services.${target.name}.${f.to}` }));
  if (keys.command !== undefined) {
    const was = Array.isArray(keys.command) ? keys.command.join(' ') : String(keys.command);
    if (was !== app.command)
      findings.push({
        from: `services.${target.name}.command`,
        status: 'note',
        detail: `the compose file's ${was} gives way to ${app.command} (package.json), which tm runs on both runtimes`,
      });
  }
  keys.command = app.command;
  keys.port ??= app.port;
  if (keys.port === undefined) delete keys.port;
  keys.health ??= app.health;
  if (keys.health === undefined) delete keys.health;
  if (!built) {
    const deps = services.filter((s) => s.kind !== 'app').map((s) => s.name);
    if (deps.length) keys.depends_on = deps;
    services.push(target);
  }
  return findings;
}

function uniqueName(services: AdoptedService[], wanted: string): string {
  const taken = new Set(services.map((s) => s.name));
  let name = taken.has(wanted) ? 'app' : wanted;
  for (let i = 2; taken.has(name); i++) name = `app-${i}`;
  return name;
}
