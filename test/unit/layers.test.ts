import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, posix, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

// The layers of src/, top first: a module may import its own layer and the ones below it.
// An import that points up must say why in a comment right above it, starting with
// "Upward import:", so each exception is explained where it is made.
const LAYERS: string[][] = [
  ['cli'],
  ['ci', 'doctor', 'render', 'init'],
  ['stack'],
  ['runtime', 'db', 'env', 'health'],
  ['config', 'catalog'],
  ['util', 'errors.ts'],
];
const SRC = resolve(import.meta.dirname, '../../src');

/** The layer of a path under src/ (0 is the top), or undefined for a folder no layer names. */
function layerOf(path: string): number | undefined {
  const top = path.split('/')[0]!;
  const i = LAYERS.findIndex((names) => names.includes(top));
  return i === -1 ? undefined : i;
}

interface Import {
  from: string;
  to: string;
  line: number;
  explained: boolean;
}

/** Relative imports of one module, static and dynamic, with the line each starts on. */
export function importsOf(file: string, text: string): Import[] {
  const lines = text.split('\n');
  const out: Import[] = [];
  const patterns = [/^import\s[^;]*?\sfrom\s+'(\.[^']+)'/gm, /^export\s[^;]*?\sfrom\s+'(\.[^']+)'/gm, /import\(\s*'(\.[^']+)'\s*\)/g];
  for (const re of patterns) {
    for (const m of text.matchAll(re)) {
      const line = text.slice(0, m.index).split('\n').length;
      const to = posix.join(posix.dirname(file), m[1]!).replace(/\.js$/, '.ts');
      // The comment block right above the line the import starts on.
      let explained = false;
      for (let i = line - 2; i >= 0 && /^\s*(\/\/|\*|\/\*)/.test(lines[i]!); i--) if (/Upward import:/.test(lines[i]!)) explained = true;
      out.push({ from: file, to, line, explained });
    }
  }
  return out;
}

/** Imports that point to a higher layer, and whether each is explained. */
export function upwardImports(imports: Import[]): Import[] {
  return imports.filter((i) => {
    const from = layerOf(i.from);
    const to = layerOf(i.to);
    return from !== undefined && to !== undefined && to < from;
  });
}

function sources(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile() && e.name.endsWith('.ts'))
    .map((e) => relative(SRC, join(e.parentPath, e.name)).split('\\').join('/'));
}

describe('layers of src/', () => {
  const files = sources(SRC);
  const all = files.flatMap((f) => importsOf(f, readFileSync(join(SRC, f), 'utf8')));

  it('every module sits in a layer', () => {
    expect(files.filter((f) => layerOf(f) === undefined)).toEqual([]);
  });

  it('no module imports a higher layer unless a comment above the import says why', () => {
    const unexplained = upwardImports(all)
      .filter((i) => !i.explained)
      .map((i) => `src/${i.from}:${i.line} imports src/${i.to}`);
    expect(unexplained).toEqual([]);
  });

  it('the explained exceptions stay few', () => {
    const explained = upwardImports(all)
      .filter((i) => i.explained)
      .map((i) => `${dirname(i.from)} -> ${i.to}`);
    expect(explained.length, explained.join('\n')).toBeLessThanOrEqual(4);
  });

  it('the scan sees static, multi-line, dynamic and re-exporting imports, and comments above them', () => {
    const text = [
      "import { a } from '../stack/up.js';",
      'import {',
      '  b,',
      "} from '../cli/output.js';",
      '// Upward import: a reason.',
      "export { c } from '../render/compose.js';",
      'async function f() {',
      "  return import('../doctor/run.js');",
      '}',
      "import { d } from './connect.js';",
    ].join('\n');
    const found = upwardImports(importsOf('db/x.ts', text));
    expect(found.map((i) => [i.to, i.line, i.explained])).toEqual([
      ['stack/up.ts', 1, false],
      ['cli/output.ts', 2, false],
      ['render/compose.ts', 6, true],
      ['doctor/run.ts', 8, false],
    ]);
  });
});
