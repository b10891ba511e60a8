import { EXIT, TmError } from '../errors.js';
import type { Context } from './context.js';

/** Asks on a TTY; elsewhere the answer must come from --yes. */
export async function confirm(ctx: Context, question: string): Promise<boolean> {
  if (ctx.globals.yes) return true;
  if (!process.stdin.isTTY || !process.stderr.isTTY || process.env.CI) {
    throw new TmError('TM_NEEDS_YES', `${question} (no terminal to ask on)`, { exit: EXIT.usage, hint: 'pass --yes to confirm' });
  }
  // Lazy: @inquirer/prompts is heavy and loads only when there is a question to ask.
  const { confirm: ask } = await import('@inquirer/prompts');
  return ask({ message: question, default: false }, { output: process.stderr });
}
