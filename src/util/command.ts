import { EXIT, TmError } from '../errors.js';

/**
 * Splits a command line into arguments (quotes and backslashes, no shell): app commands run
 * without a shell, so a pipeline or `&&` belongs in an npm script.
 */
export function splitCommand(command: string | string[], service: string): string[] {
  if (Array.isArray(command)) return command;
  if (/[|&;<>`$()]/.test(command.replace(/'[^']*'|"[^"]*"/g, ''))) {
    throw new TmError('TM_APP_COMMAND', `services.${service}.command uses shell syntax (${command}); tm runs commands without a shell`, {
      exit: EXIT.config,
      hint: 'put it in a package.json script and use `npm run <script>`, or give the command as a list',
    });
  }
  const out: string[] = [];
  let cur = '';
  let quote: string | undefined;
  let has = false;
  for (let i = 0; i < command.length; i++) {
    const c = command[i]!;
    if (quote) {
      if (c === quote) quote = undefined;
      else if (c === '\\' && quote === '"' && i + 1 < command.length) cur += command[++i];
      else cur += c;
    } else if (c === '"' || c === "'") {
      quote = c;
      has = true;
    } else if (c === '\\' && i + 1 < command.length) {
      cur += command[++i];
      has = true;
    } else if (/\s/.test(c)) {
      if (cur || has) out.push(cur);
      cur = '';
      has = false;
    } else cur += c;
  }
  if (cur || has) out.push(cur);
  return out;
}
