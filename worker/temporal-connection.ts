/**
 * Where Temporal is: `TEMPORAL_ADDRESS` (+ namespace, TLS, API key) for a real cluster or
 * Temporal Cloud; otherwise the embedded dev server that `npm start` runs.
 */
import { readFileSync } from 'node:fs';

export const DEFAULT_TASK_QUEUE = 'launch-control';

export type TemporalSettings = {
  address: string;
  namespace: string;
  taskQueue: string;
  tls?: { clientCertPair?: { crt: Buffer; key: Buffer }; serverRootCACertificate?: Buffer } | true;
  apiKey?: string;
};

export function temporalSettingsFromEnv(
  env: NodeJS.ProcessEnv = process.env,
  fallbackAddress = '127.0.0.1:7233',
): TemporalSettings {
  const settings: TemporalSettings = {
    address: env.TEMPORAL_ADDRESS || fallbackAddress,
    namespace: env.TEMPORAL_NAMESPACE || 'default',
    taskQueue: env.LAUNCH_CONTROL_TASK_QUEUE || DEFAULT_TASK_QUEUE,
  };
  if (env.TEMPORAL_TLS_CERT && env.TEMPORAL_TLS_KEY) {
    settings.tls = {
      clientCertPair: { crt: readFileSync(env.TEMPORAL_TLS_CERT), key: readFileSync(env.TEMPORAL_TLS_KEY) },
      ...(env.TEMPORAL_TLS_CA ? { serverRootCACertificate: readFileSync(env.TEMPORAL_TLS_CA) } : {}),
    };
  } else if (env.TEMPORAL_API_KEY || env.TEMPORAL_TLS === 'true') {
    settings.tls = true;
  }
  if (env.TEMPORAL_API_KEY) settings.apiKey = env.TEMPORAL_API_KEY;
  return settings;
}

/** Options for `NativeConnection.connect` / `Connection.connect` (same shape for both). */
export function connectionOptions(settings: TemporalSettings) {
  return {
    address: settings.address,
    ...(settings.tls === undefined ? {} : { tls: settings.tls === true ? {} : settings.tls }),
    ...(settings.apiKey ? { apiKey: settings.apiKey } : {}),
  };
}
