import { mkdir, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { freePort, tempProject, type TempProject } from '../helpers/project.js';

// tm up and tm ci bring a stack up through one pipeline: databases, migrations, seeds, then
// the apps. The app here reads a table at start (test/fixtures/app/reads-table.mjs, run where
// it is so that it finds pg) and exits 1 when the table or its seeded row is missing.
const APP = resolve(import.meta.dirname, '../fixtures/app/reads-table.mjs');
const projects: TempProject[] = [];
afterEach(async () => {
  await Promise.all(projects.splice(0).map((p) => p.cleanup()));
});

async function projectWithApp() {
  const port = await freePort();
  const p = await tempProject({
    name: 'needsschema',
    extra: `  app:
    command: [${JSON.stringify(process.execPath)}, ${JSON.stringify(APP)}]
    port: ${port}
    health: http://127.0.0.1:${port}/health
    depends_on: [postgres]
`,
  });
  projects.push(p);
  await mkdir(join(p.dir, 'db/migrations'), { recursive: true });
  await mkdir(join(p.dir, 'db/seeds'), { recursive: true });
  await writeFile(join(p.dir, 'db/migrations/001_widgets.sql'), 'CREATE TABLE widgets (id int PRIMARY KEY, name text NOT NULL);\n');
  await writeFile(join(p.dir, 'db/seeds/01_widgets.sql'), "INSERT INTO widgets VALUES (1, 'first') ON CONFLICT (id) DO NOTHING;\n");
  return { p, port };
}

const widgetsAt = async (port: number) => ((await (await fetch(`http://127.0.0.1:${port}/health`)).json()) as { widgets: number }).widgets;

describe('one bring-up pipeline', () => {
  it('tm up: the app starts after the migration made its table and the seed filled it', async () => {
    const { p, port } = await projectWithApp();
    const r = await p.tm(['up', '--json']);
    expect(r.exitCode, r.stderr).toBe(0);
    const result = JSON.parse(r.stdout);
    expect(result.services.map((s: { name: string; state: string }) => [s.name, s.state])).toEqual([
      ['postgres', 'started'],
      ['redis', 'started'],
      ['app', 'started'],
    ]);
    expect(result.migrations.applied.map((m: { name: string }) => m.name)).toEqual(['widgets']);
    expect(result.seeds.ran.map((s: { path: string }) => s.path)).toEqual(['db/seeds/01_widgets.sql']);
    expect(await widgetsAt(port)).toBe(1);
  });

  it('tm ci: the same order, each stage reported as a step; the app step comes after migrate and seed', async () => {
    const { p, port } = await projectWithApp();
    const r = await p.tm(['ci', '--json']);
    expect(r.exitCode, r.stdout + r.stderr).toBe(0);
    const ends = r.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l))
      .filter((e) => e.type === 'step-end');
    expect(ends.map((e) => [e.step, e.status, e.detail])).toEqual([
      ['config', 'ok', '3 services'],
      ['env', 'ok', expect.any(String)],
      ['services', 'ok', '2 services up (native)'],
      ['migrate', 'ok', '1 migrations applied'],
      ['seed', 'ok', '1 seeds ran (test)'],
      ['apps', 'ok', '1 apps up (native)'],
      ['health', 'ok', expect.stringMatching(/^postgres \d+ ms, redis \d+ ms, app \d+ ms$/)],
    ]);
    expect(await widgetsAt(port)).toBe(1);
  });
});
