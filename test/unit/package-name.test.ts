import { readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { PACKAGE_NAME } from '../../src/util/package-name.js';

const root = resolve(import.meta.dirname, '../..');
const read = (rel: string) => readFileSync(join(root, rel), 'utf8');

// One name on the registry: every file that installs tm names it through the constant (or says it as the README does).
describe('the package name', () => {
  it('is taskmaster-cli in package.json, and the README installs that package', () => {
    expect(PACKAGE_NAME).toBe('taskmaster-cli');
    expect(JSON.parse(read('package.json')).name).toBe(PACKAGE_NAME);
    expect(read('README.md')).toContain(`npm install --save-dev ${PACKAGE_NAME} `);
    // Never the registry's unrelated `taskmaster`.
    expect(read('README.md')).not.toMatch(/(npm install|npx)[^\n`]*\staskmaster(@|\s|`|$)/m);
  });

  it('templates take it from the constant, never a written-out name', () => {
    for (const t of readdirSync(join(root, 'templates/projects'))) {
      const pkg = read(`templates/projects/${t}/package.json.tmpl`);
      expect(pkg).toContain('"{{tm_package}}": "{{tm_spec}}"');
      expect(pkg).not.toMatch(/"taskmaster/);
    }
    expect(read('templates/k8s/migrate.Dockerfile')).toMatch(/npm install --global .*\{\{package\}\}/);
  });
});
