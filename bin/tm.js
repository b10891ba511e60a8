#!/usr/bin/env node
// The only place the process ends. `--version` is answered before loading anything else.
import { readFileSync } from 'node:fs';

const { version } = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));
const args = process.argv.slice(2);
if (args.length === 1 && (args[0] === '--version' || args[0] === '-V')) {
  process.stdout.write(`${version}\n`);
  process.exit(0);
}
const { main } = await import('../dist/cli/main.js');
process.exit(await main(process.argv, version));
