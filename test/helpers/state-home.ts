import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll } from 'vitest';

// Every test file gets a registry of stacks of its own ($XDG_STATE_HOME/taskmaster), inherited
// by the tm processes it spawns: tests never read or write the machine's real one, and test
// projects of one file (all named "demo") are not taken for stacks of another file's project.
const dir = mkdtempSync(join(tmpdir(), 'tm-state-'));
process.env.XDG_STATE_HOME = dir;
afterAll(() => rmSync(dir, { recursive: true, force: true }));
