/**
 * The demo service's own metrics, rendered in the Prometheus text exposition format (no client
 * library: a handful of counters and one histogram are all the demo needs).
 */

/** Request duration buckets in seconds (Prometheus' defaults up to 2.5 s). */
export const DURATION_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5] as const;

export type ServiceIdentity = { environment: string; slot: string; version: string };

type DurationHistogram = { buckets: number[]; sum: number; count: number };

function escapeLabelValue(value: string): string {
  return value.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"');
}

function labelSet(labels: Record<string, string>): string {
  const pairs = Object.entries(labels).map(([name, value]) => `${name}="${escapeLabelValue(value)}"`);
  return `{${pairs.join(',')}}`;
}

/** Formats a number the way Prometheus parses it (`+Inf`, not `Infinity`). */
function sampleValue(value: number): string {
  if (value === Infinity) return '+Inf';
  if (value === -Infinity) return '-Inf';
  return String(value);
}

export class ServiceMetrics {
  private readonly requestsByCode = new Map<string, number>();
  private readonly durationsByCode = new Map<string, DurationHistogram>();
  private orders = 0;

  constructor(private readonly identity: ServiceIdentity) {
    // Series exist from the first scrape, so a ratio over them reads 0 (not "no data") before any
    // error happened. Codes the service can answer on /api/*: 200, 201, 400, 500.
    for (const code of ['200', '500']) {
      this.requestsByCode.set(code, 0);
      this.durationsByCode.set(code, { buckets: DURATION_BUCKETS.map(() => 0), sum: 0, count: 0 });
    }
  }

  recordRequest(statusCode: number, durationSeconds: number): void {
    const code = String(statusCode);
    this.requestsByCode.set(code, (this.requestsByCode.get(code) ?? 0) + 1);
    let histogram = this.durationsByCode.get(code);
    if (!histogram) {
      histogram = { buckets: DURATION_BUCKETS.map(() => 0), sum: 0, count: 0 };
      this.durationsByCode.set(code, histogram);
    }
    DURATION_BUCKETS.forEach((bound, index) => {
      if (durationSeconds <= bound) histogram.buckets[index] = (histogram.buckets[index] ?? 0) + 1;
    });
    histogram.sum += durationSeconds;
    histogram.count += 1;
  }

  recordOrder(): void {
    this.orders += 1;
  }

  render(): string {
    const base = { ...this.identity };
    const lines: string[] = [];
    lines.push('# HELP demo_requests_total API requests answered, by status code.');
    lines.push('# TYPE demo_requests_total counter');
    for (const [code, count] of this.requestsByCode) {
      lines.push(`demo_requests_total${labelSet({ ...base, code })} ${count}`);
    }
    lines.push('# HELP demo_request_duration_seconds API request duration, by status code.');
    lines.push('# TYPE demo_request_duration_seconds histogram');
    for (const [code, histogram] of this.durationsByCode) {
      DURATION_BUCKETS.forEach((bound, index) => {
        const labels = labelSet({ ...base, code, le: String(bound) });
        lines.push(`demo_request_duration_seconds_bucket${labels} ${histogram.buckets[index] ?? 0}`);
      });
      lines.push(
        `demo_request_duration_seconds_bucket${labelSet({ ...base, code, le: '+Inf' })} ${histogram.count}`,
      );
      lines.push(`demo_request_duration_seconds_sum${labelSet({ ...base, code })} ${histogram.sum}`);
      lines.push(`demo_request_duration_seconds_count${labelSet({ ...base, code })} ${histogram.count}`);
    }
    lines.push('# HELP demo_orders_total Orders durably stored and acknowledged (business metric).');
    lines.push('# TYPE demo_orders_total counter');
    lines.push(`demo_orders_total${labelSet(base)} ${this.orders}`);

    const cpu = process.cpuUsage();
    lines.push('# HELP demo_cpu_seconds_total CPU time used by this process (user + system).');
    lines.push('# TYPE demo_cpu_seconds_total counter');
    lines.push(`demo_cpu_seconds_total${labelSet(base)} ${sampleValue((cpu.user + cpu.system) / 1e6)}`);
    lines.push('# HELP demo_resident_memory_bytes Resident set size of this process.');
    lines.push('# TYPE demo_resident_memory_bytes gauge');
    lines.push(`demo_resident_memory_bytes${labelSet(base)} ${process.memoryUsage.rss()}`);
    return `${lines.join('\n')}\n`;
  }
}
