/**
 * Worker telemetry: the Temporal SDK's runtime metrics and Launch Control's own (emitted from
 * workflows) on one Prometheus endpoint, and the SDK's logs, as JSON lines for production.
 */
import { DefaultLogger, Runtime, type LogEntry, type LogLevel } from '@temporalio/worker';

export const WORKER_METRICS_ENV = 'LAUNCH_CONTROL_WORKER_METRICS_ADDRESS';

/**
 * One JSON object per line. Workflow and activity logs carry the workflow id (= the launch id for
 * the launch, `<launch id>/<task>` for its tasks); the launch logs each phase with its launch id.
 */
export function jsonLogLine(entry: LogEntry): string {
  const { sdkComponent, ...meta } = entry.meta ?? {};
  const record = {
    time: new Date(Number(entry.timestampNanos / 1_000_000n)).toISOString(),
    level: entry.level.toLowerCase(),
    msg: entry.message,
    ...(sdkComponent ? { component: sdkComponent } : {}),
    ...meta,
  };
  return JSON.stringify(record, (_key, value: unknown) =>
    typeof value === 'bigint'
      ? value.toString()
      : value instanceof Error
        ? { name: value.name, message: value.message }
        : value,
  );
}

export function installRuntime(opts: {
  metricsAddress?: string | undefined;
  logLevel?: LogLevel;
  logFormat?: 'json' | 'text';
  shutdownSignals?: NodeJS.Signals[];
}) {
  const logger =
    opts.logFormat === 'json'
      ? new DefaultLogger(opts.logLevel ?? 'INFO', (entry) => process.stdout.write(`${jsonLogLine(entry)}\n`))
      : new DefaultLogger(opts.logLevel ?? 'WARN');
  Runtime.install({
    logger,
    ...(opts.shutdownSignals ? { shutdownSignals: opts.shutdownSignals } : {}),
    ...(opts.metricsAddress
      ? {
          telemetryOptions: {
            metrics: {
              prometheus: {
                bindAddress: opts.metricsAddress,
                countersTotalSuffix: true,
                useSecondsForDurations: true,
              },
            },
          },
        }
      : {}),
  });
}
