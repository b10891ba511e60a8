import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { packageRoot } from '../util/package-root.js';

/** The package's templates/ folder (beside src/ and dist/). */
export const TEMPLATES_DIR = join(packageRoot(), 'templates') + '/';

/**
 * Fills `{{name}}` placeholders of a YAML template with JSON-quoted values (valid YAML
 * scalars and flow sequences), so a value can never break the document's structure.
 */
export function fillYamlTemplate(relPath: string, values: Record<string, unknown>): string {
  const text = readFileSync(TEMPLATES_DIR + relPath, 'utf8');
  return text.replace(/\{\{(\w+)\}\}/g, (_, name: string) => {
    if (!(name in values)) throw new Error(`template ${relPath} uses {{${name}}}, which has no value`);
    return JSON.stringify(values[name]);
  });
}
