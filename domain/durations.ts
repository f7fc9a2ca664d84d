/**
 * Durations in plans are strings such as `500ms`, `30s`, `5m`, `2h`, `1d`: readable in YAML and
 * in the Temporal UI, and accepted as they are by Temporal's `sleep` and activity timeouts.
 */
const UNIT_MS = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const;

export const DURATION_PATTERN = /^(\d{1,9})(ms|s|m|h|d)$/;

export type Duration = string;

/** Milliseconds in a duration string; NaN when the string is not a duration. */
export function durationMs(duration: Duration): number {
  const match = DURATION_PATTERN.exec(duration);
  if (!match) return Number.NaN;
  return Number(match[1]) * UNIT_MS[match[2] as keyof typeof UNIT_MS];
}

/** Shortest readable form, for messages and evidence (`90000` → `1m30s`). */
export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms)) return String(ms);
  if (ms < 1000) return `${Math.round(ms)}ms`;
  const parts: string[] = [];
  let rest = Math.round(ms / 1000);
  for (const [unit, size] of [
    ['d', 86_400],
    ['h', 3_600],
    ['m', 60],
    ['s', 1],
  ] as const) {
    if (rest >= size) {
      parts.push(`${Math.floor(rest / size)}${unit}`);
      rest %= size;
    }
  }
  return parts.join('');
}
