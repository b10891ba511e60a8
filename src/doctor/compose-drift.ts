import { join } from 'node:path';
import type { Config } from '../config/load.js';
import type { Service } from '../config/schema.js';
import { interpolateDeep } from '../init/adopt/compose-interpolate.js';
import { containerVariables, isActive, parseCompose, readCompose, type RawService } from '../init/adopt/compose-read.js';
import { publishedPorts } from '../init/adopt/compose-services.js';
import { CREDENTIALS, imageContract, isMigrationTool } from '../init/adopt/image-kinds.js';
import { composeSecrets, renderCompose } from '../render/compose.js';
import { render } from '../render/targets.js';
import { driftOf } from '../render/write.js';

// What still differs between a project's own compose file (one it had before tm, or edited
// since) and what taskmaster.yml runs: the file tm's Docker runtime renders from the model
// (tm render compose, with the real values tm hands compose) is read like the project's, and
// the two are compared service by service. Secret values are compared, never shown.

export interface ComposeDrift {
  /** The project's compose files, as Compose picks them. */
  files: string[];
  /** One line per difference; none when they agree. */
  differences: string[];
  /** The file is exactly what `tm render compose` writes. */
  rendered?: boolean;
}

/** The drift of the project's compose files from taskmaster.yml, or undefined when it has none. */
export async function composeDrift(config: Config, env: NodeJS.ProcessEnv = process.env): Promise<ComposeDrift | undefined> {
  const project = readCompose(config.root, env);
  if (!project) return undefined;
  const files = project.files;
  const services = configuredServices(config);
  // A file tm rendered itself: the drift is render --check's.
  if (files.length === 1) {
    const rendered = await render({ ...config, services }, 'compose');
    if ((await driftOf(join(config.root, files[0]!), files[0]!, rendered.text)) === undefined) return { files, differences: [], rendered: true };
  }
  const mine = parseCompose(renderCompose({ ...config, services }, services, { variables: 'tm' }), 'taskmaster.yml').services as Record<string, RawService>;
  const secrets = composeSecrets(services);
  const tm = interpolateDeep(mine, secrets) as Record<string, RawService>;
  const differences: string[] = [];
  const where = files.join(' + ');
  for (const [name, raw] of Object.entries(project.services)) {
    if (!isActive(raw, project.profiles)) continue;
    const image = raw.image === undefined ? undefined : String(interpolateDeep(raw.image, project.vars));
    if (raw.build === undefined && image && isMigrationTool(image)) continue;
    const ours = tm[name];
    const svc = services.find((s) => s.name === name);
    if (!ours) {
      // An app tm runs from local binaries only is not in tm's compose file, but is in taskmaster.yml.
      if (!svc) differences.push(`${name}: in ${where}, not in taskmaster.yml`);
      continue;
    }
    if (image !== undefined && ours.image !== undefined && image !== ours.image)
      differences.push(`${name}: image ${image} in ${where}, ${String(ours.image)} in taskmaster.yml`);
    const theirPorts = portPairs(raw, project.vars);
    const ourPorts = portPairs(ours, {});
    if (theirPorts !== ourPorts) differences.push(`${name}: ports ${theirPorts || 'none'} in ${where}, ${ourPorts || 'none'} in taskmaster.yml`);
    if (svc && svc.kind !== 'app') differences.push(...credentialDrift(config.root, name, raw, ours, svc, project.vars, secrets, where));
  }
  for (const name of Object.keys(tm)) {
    if (!(name in project.services)) differences.push(`${name}: in taskmaster.yml, not in ${where}`);
  }
  return { files, differences };
}

/** The services with taskmaster.yml's ports (a second stack's own ports are no drift). */
function configuredServices(config: Config): Service[] {
  return config.services.map((s) => {
    const configured = config.stack.configured[s.name];
    if (!configured) return s;
    const top = Object.fromEntries(Object.entries(configured).filter(([k]) => !k.includes('.')));
    return { ...s, ...top } as Service;
  });
}

/** `5432:5432, 8025:8025`: published and container ports, sorted (host addresses aside: tm binds loopback on purpose). */
function portPairs(svc: RawService, vars: Record<string, string | undefined>): string {
  return publishedPorts(svc, vars)
    .filter((p) => p.published !== undefined)
    .map((p) => `${p.published}:${p.target}`)
    .sort()
    .join(', ');
}

/** The kind's credential variables (POSTGRES_USER...) where the two files set them differently. */
function credentialDrift(
  root: string,
  name: string,
  theirs: RawService,
  ours: RawService,
  svc: Service,
  vars: Record<string, string | undefined>,
  secrets: Record<string, string>,
  where: string,
): string[] {
  const contract = imageContract(String(ours.image ?? ''))?.kind ?? svc.kind;
  const keys = CREDENTIALS[contract as keyof typeof CREDENTIALS] ?? [];
  const a = containerVariables(root, theirs, vars);
  const b = containerVariables(root, ours, secrets);
  const out: string[] = [];
  for (const cred of keys) {
    const variable = cred.variables.find((v) => a.has(v) || b.has(v));
    if (!variable) continue;
    const mine = cred.variables.map((v) => b.get(v)?.value).find((v) => v !== undefined);
    const their = cred.variables.map((v) => a.get(v)?.value).find((v) => v !== undefined);
    if (their === undefined || mine === their) continue;
    out.push(
      cred.secret
        ? `${name}: ${variable} differs from services.${name}.${cred.key} (values not shown)`
        : `${name}: ${variable} is ${their} in ${where}, ${mine ?? '(unset)'} in taskmaster.yml`,
    );
  }
  return out;
}
