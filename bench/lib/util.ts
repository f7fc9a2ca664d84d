/** Small helpers shared by the benchmarks: statistics, process accounting, cleanup, logging. */
import { readFileSync } from 'node:fs';

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

const started = Date.now();
/** A progress line on stderr, with the time since the bench started. */
export function progress(line: string) {
  const t = ((Date.now() - started) / 1000).toFixed(0).padStart(4);
  process.stderr.write(`[bench ${t}s] ${line}\n`);
}

/** Nearest-rank percentile (p in 0..100) of numbers; NaN for an empty list. */
export function percentile(values: number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.min(sorted.length, Math.max(1, Math.ceil((p / 100) * sorted.length)));
  return sorted[rank - 1]!;
}

export type Summary = {
  n: number;
  min: number;
  p50: number;
  p95: number;
  p99: number;
  max: number;
  mean: number;
};

export function summarize(values: number[]): Summary {
  const n = values.length;
  return {
    n,
    min: n ? Math.min(...values) : Number.NaN,
    p50: percentile(values, 50),
    p95: percentile(values, 95),
    p99: percentile(values, 99),
    max: n ? Math.max(...values) : Number.NaN,
    mean: n ? values.reduce((a, b) => a + b, 0) / n : Number.NaN,
  };
}

export const round = (value: number, digits = 1) =>
  Number.isFinite(value) ? Math.round(value * 10 ** digits) / 10 ** digits : null;

const CLOCK_TICKS = 100; // USER_HZ on Linux

/** CPU seconds (user + system) a process has used so far; NaN when it is gone. */
export function cpuSeconds(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name (which may hold spaces) start at the last ')'.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const utime = Number(fields[11]);
    const stime = Number(fields[12]);
    return (utime + stime) / CLOCK_TICKS;
  } catch {
    return Number.NaN;
  }
}

/** Resident set size now and at its peak (VmHWM), in MiB. */
export function memoryMiB(pid: number): { rss: number; peak: number } {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kib = (key: string) => Number(new RegExp(`^${key}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? NaN);
    return { rss: kib('VmRSS') / 1024, peak: kib('VmHWM') / 1024 };
  } catch {
    return { rss: Number.NaN, peak: Number.NaN };
  }
}

/** Cleanups run in reverse order, once, on success, error, Ctrl-C or SIGTERM. */
export class Cleanup {
  private readonly steps: { what: string; run: () => Promise<unknown> | unknown }[] = [];

  add(what: string, run: () => Promise<unknown> | unknown): void {
    this.steps.push({ what, run });
  }

  async runAll(): Promise<void> {
    while (this.steps.length > 0) {
      const step = this.steps.pop()!;
      try {
        await Promise.race([step.run(), sleep(20_000)]);
      } catch (error) {
        progress(`cleanup "${step.what}" failed: ${(error as Error).message}`);
      }
    }
  }
}

/** Numbers the bench reports: a value, its baseline from the same run, their ratio and the target. */
export type Figure = {
  value: number | null;
  baseline: number | null;
  ratio: number | null;
  unit: string;
  target: string | null;
  met: boolean | null;
  note?: string;
};

export function figure(
  value: number | null,
  baseline: number | null,
  unit: string,
  target: { text: string; ok: (value: number, ratio: number | null) => boolean } | null,
  note?: string,
): Figure {
  const ratio =
    value !== null && baseline !== null && Number.isFinite(value) && Number.isFinite(baseline) && baseline > 0
      ? Math.round((value / baseline) * 100) / 100
      : null;
  const v = value === null || !Number.isFinite(value) ? null : round(value, 1);
  const b = baseline === null || !Number.isFinite(baseline) ? null : round(baseline, 1);
  return {
    value: v,
    baseline: b,
    ratio,
    unit,
    target: target?.text ?? null,
    met: target && v !== null ? target.ok(v, ratio) : null,
    ...(note ? { note } : {}),
  };
}
