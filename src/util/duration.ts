import { EXIT, TmError } from '../errors.js';

const UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/** Parses "500ms", "1s", "1.5s", "2m", "1h"; a bare number is seconds. */
export function parseDuration(text: string, flag = 'duration'): number {
  const m = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h)?\s*$/.exec(text);
  if (!m) {
    throw new TmError('TM_USAGE', `${flag}: "${text}" is not a duration`, {
      exit: EXIT.usage,
      hint: 'use a number with a unit, e.g. 500ms, 30s, 2m',
    });
  }
  return Math.round(Number(m[1]) * UNITS[m[2] ?? 's']!);
}

/** "850 ms", "1.2 s", "3 m 5 s". */
export function formatDuration(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(ms < 10_000 ? 1 : 0)} s`;
  const s = Math.round(ms / 1000);
  return `${Math.floor(s / 60)} m ${s % 60} s`;
}

/** `42s`, `3m5s`, `2h10m`: how long something has been running. */
export function formatUptime(s: number): string {
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${s % 60}s`;
  return `${Math.floor(s / 3600)}h${Math.floor((s % 3600) / 60)}m`;
}
