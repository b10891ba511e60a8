import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { PACKAGE_NAME } from '../util/package-name.js';
import { packageRoot } from '../util/package-root.js';

/** The package's templates/ folder (beside src/ and dist/). */
export const TEMPLATES_DIR = `${join(packageRoot(), 'templates')}/`;

/** The Node image rendered Dockerfiles start from unless told otherwise. */
export const DEFAULT_BASE_IMAGE = 'node:20-bookworm-slim';

/** tm's own version (rendered files that install tm pin it). */
export function tmVersion(): string {
  return (JSON.parse(readFileSync(join(packageRoot(), 'package.json'), 'utf8')) as { version: string }).version;
}

/** What installs this very tm from the registry: `taskmaster-cli@<version>`. */
export function tmPackageSpec(): string {
  return `${PACKAGE_NAME}@${tmVersion()}`;
}

/**
 * Fills `{{name}}` placeholders of a YAML template with JSON-quoted values (valid YAML
 * scalars and flow sequences), so a value can never break the document's structure.
 */
export function fillYamlTemplate(relPath: string, values: Record<string, unknown>): string {
  return fill(relPath, values, (v) => JSON.stringify(v));
}

/** Fills `{{name}}` placeholders of a text template (a Dockerfile) with the values as they are. */
export function fillTextTemplate(relPath: string, values: Record<string, string>): string {
  return fill(relPath, values, String);
}

function fill(relPath: string, values: Record<string, unknown>, show: (v: unknown) => string): string {
  const text = readFileSync(TEMPLATES_DIR + relPath, 'utf8');
  return text.replace(/\{\{(\w+)\}\}/g, (_, name: string) => {
    if (!(name in values)) throw new Error(`template ${relPath} uses {{${name}}}, which has no value`);
    return show(values[name]);
  });
}
