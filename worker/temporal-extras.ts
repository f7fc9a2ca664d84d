/**
 * What every Temporal client and worker of a process shares beyond the connection: the payload
 * codec (encryption) and tracing. Both come from the environment and are off unless configured.
 */
import type { ClientOptions } from '@temporalio/client';
import type { PayloadCodec } from '@temporalio/common';
import { payloadCodecFromEnv } from './payload-codec.js';
import { tracingFromEnv, type Tracing } from './tracing.js';

export type TemporalExtras = { payloadCodec?: PayloadCodec; tracing?: Tracing };

export function temporalExtrasFromEnv(
  serviceName: string,
  env: NodeJS.ProcessEnv = process.env,
): TemporalExtras {
  const payloadCodec = payloadCodecFromEnv(env);
  const tracing = tracingFromEnv(serviceName, env);
  return { ...(payloadCodec ? { payloadCodec } : {}), ...(tracing ? { tracing } : {}) };
}

/** Options for `new Client(…)`: payloads through the codec, calls traced. */
export function clientExtras(
  extras: TemporalExtras = {},
): Pick<ClientOptions, 'dataConverter' | 'interceptors'> {
  return {
    ...(extras.payloadCodec ? { dataConverter: { payloadCodecs: [extras.payloadCodec] } } : {}),
    ...(extras.tracing ? { interceptors: { workflow: extras.tracing.clientInterceptors } } : {}),
  };
}

/** One line for start-up logs: what is on, never key material. */
export function describeExtras(extras: TemporalExtras): string {
  return [
    extras.payloadCodec ? 'payloads encrypted (AES-256-GCM)' : 'payloads not encrypted',
    extras.tracing ? `traces to ${extras.tracing.endpoint}` : 'tracing off',
  ].join(', ');
}
