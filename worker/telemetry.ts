/**
 * Worker telemetry: the Temporal SDK's runtime metrics and Launch Control's own (emitted from
 * workflows) on one Prometheus endpoint, and the SDK's logs at the chosen level.
 */
import { DefaultLogger, Runtime, type LogLevel } from '@temporalio/worker';

export const WORKER_METRICS_ENV = 'LAUNCH_CONTROL_WORKER_METRICS_ADDRESS';

export function installRuntime(opts: {
  metricsAddress?: string | undefined;
  logLevel?: LogLevel;
  shutdownSignals?: NodeJS.Signals[];
}) {
  Runtime.install({
    logger: new DefaultLogger(opts.logLevel ?? 'WARN'),
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
