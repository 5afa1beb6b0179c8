import { userError } from '../errors.js';

/** A duration as users write it: '250ms', '5s', '5m', '1h', '7d', '2w', or milliseconds. */
export type Duration = `${number}${'ms' | 's' | 'm' | 'h' | 'd' | 'w'}` | number;

const UNIT_MS: Readonly<Record<string, number>> = {
  ms: 1,
  s: 1_000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
  w: 604_800_000,
};

const PATTERN = /^(\d+)(ms|s|m|h|d|w)$/;

/** Parses a duration to whole milliseconds; throws a user error naming `what` when invalid. */
export function toMillis(value: Duration, what = 'duration'): number {
  if (typeof value === 'number') {
    if (Number.isSafeInteger(value) && value >= 0) return value;
  } else {
    const m = PATTERN.exec(value.trim());
    if (m !== null) {
      const ms = Number(m[1]) * (UNIT_MS[m[2] ?? ''] ?? Number.NaN);
      if (Number.isSafeInteger(ms)) return ms;
    }
  }
  throw userError(
    'DSL_BAD_DURATION',
    `${what}: '${String(value)}' is not a duration`,
    "write a whole number followed by ms, s, m, h, d or w (e.g. '5m', '24h'), or milliseconds",
  );
}

/** Formats milliseconds back to the shortest exact unit: 300000 → '5m'. */
export function formatMillis(ms: number): string {
  for (const unit of ['w', 'd', 'h', 'm', 's'] as const) {
    const size = UNIT_MS[unit] ?? 1;
    if (ms > 0 && ms % size === 0) return `${ms / size}${unit}`;
  }
  return `${ms}ms`;
}
