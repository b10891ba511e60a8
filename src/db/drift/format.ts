import type { Difference } from './compare.js';

/** Longer definitions are cut down to the part around their first difference. */
const WIDTH = 60;

/**
 * One line per difference: what, where, live against the migrations, e.g.
 * `column orders.note: live has it (text null), migrations do not`.
 */
export function formatDifference(d: Difference): string {
  const what = `${d.kind} ${d.name}`;
  if (d.expected === undefined) return `${what}: live has it${inParentheses(d.live)}, migrations do not`;
  if (d.live === undefined) return `${what}: migrations have it${inParentheses(d.expected)}, live does not`;
  const [live, expected] = aroundFirstDifference(d.live, d.expected);
  return `${what}: live ${live}, migrations ${expected}`;
}

function inParentheses(definition: string | undefined): string {
  if (!definition) return '';
  return ` (${definition.length > WIDTH * 2 ? `${definition.slice(0, WIDTH * 2)}…` : definition})`;
}

/**
 * Both texts whole when they are short; else each cut to a window that starts a little before
 * the first character where they differ (a view's SELECT, a long default), marked with `…`.
 */
export function aroundFirstDifference(a: string, b: string): [string, string] {
  if (a.length <= WIDTH && b.length <= WIDTH) return [a, b];
  let same = 0;
  while (same < a.length && same < b.length && a[same] === b[same]) same++;
  // From the start of a word a little before the difference.
  const start = same <= 20 ? 0 : a.lastIndexOf(' ', same - 20) + 1;
  const cut = (s: string) => `${start > 0 ? '…' : ''}${s.slice(start, start + WIDTH)}${start + WIDTH < s.length ? '…' : ''}`;
  return [cut(a), cut(b)];
}
