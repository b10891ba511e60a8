// Helpers shared by the benchmark cases.
import { execFileSync } from 'node:child_process';

/** A free TCP port on 127.0.0.1 (asked of the OS in a child, since cases run synchronously). */
export function freePort() {
  return Number(execFileSync(process.execPath, ['-e', "const s=require('net').createServer().listen(0,'127.0.0.1',()=>{console.log(s.address().port);s.close()})"]).toString());
}

/** Times `start` only; `stop` (clean-up for the next run) is not measured. */
export const timedUntil = (start, stop) => () => {
  const t0 = performance.now();
  start();
  const ms = performance.now() - t0;
  stop();
  return ms;
};

/** Times `work(prepare())`; preparing a fresh database or folder is not measured. */
export const timedAfter = (prepare, work) => () => {
  const arg = prepare();
  const t0 = performance.now();
  work(arg);
  return performance.now() - t0;
};
