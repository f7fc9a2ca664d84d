/** MetricsSource over the Prometheus HTTP API (`GET /api/v1/query`). Never throws: failures are samples. */
import { z } from 'zod';
import type { PrometheusMetricsConfig } from '../config.js';
import type { MetricSample, MetricsSource } from '../types.js';
import { clientFor, type AdapterContext } from './client.js';

/** `[unixSeconds, "value"]`; Prometheus sends values as strings so NaN and ±Inf survive JSON. */
const samplePair = z.tuple([z.number(), z.string()]);

const queryResponse = z.discriminatedUnion('status', [
  z.looseObject({
    status: z.literal('success'),
    data: z.discriminatedUnion('resultType', [
      z.looseObject({
        resultType: z.literal('vector'),
        result: z.array(z.looseObject({ value: samplePair })),
      }),
      z.looseObject({ resultType: z.literal('scalar'), result: samplePair }),
      z.looseObject({ resultType: z.literal('matrix'), result: z.array(z.unknown()) }),
      z.looseObject({ resultType: z.literal('string'), result: z.unknown() }),
    ]),
  }),
  z.looseObject({
    status: z.literal('error'),
    errorType: z.string().optional(),
    error: z.string().optional(),
  }),
]);

function inconclusive(status: 'empty' | 'nan' | 'non-scalar' | 'error', error: string): MetricSample {
  return { status, value: null, error };
}

function fromValue(raw: string): MetricSample {
  const value = Number(raw);
  if (Number.isFinite(value)) return { status: 'ok', value };
  // Prometheus spells these NaN, +Inf, -Inf; anything else non-numeric is a broken answer.
  if (/^[+-]?(nan|inf)$/i.test(raw.trim())) return inconclusive('nan', `query returned ${raw}`);
  return inconclusive('error', `query returned a non-numeric value ${JSON.stringify(raw.slice(0, 40))}`);
}

export function createPrometheusMetrics(
  config: PrometheusMetricsConfig,
  context: AdapterContext,
): MetricsSource {
  const client = clientFor(config, context);
  const path = '/api/v1/query';
  return {
    async query(query) {
      try {
        const response = await client.send('GET', path, { query: { query } });
        let body: z.output<typeof queryResponse>;
        try {
          body = client.parseJson('GET', path, response.text, queryResponse);
        } catch (error) {
          // A non-2xx without Prometheus' JSON error body (proxy page, …): report the status instead.
          return inconclusive(
            'error',
            (response.ok ? (error as Error) : client.statusError('GET', path, response)).message,
          );
        }
        if (body.status === 'error') {
          const kind = body.errorType ?? 'error';
          return inconclusive(
            'error',
            `prometheus ${kind} (${response.status}): ${(body.error ?? 'no detail').slice(0, 200)}`,
          );
        }
        if (!response.ok) return inconclusive('error', client.statusError('GET', path, response).message);
        const data = body.data;
        switch (data.resultType) {
          case 'scalar':
            return fromValue(data.result[1]);
          case 'vector': {
            const [first, ...rest] = data.result;
            if (first === undefined) return inconclusive('empty', 'query returned no series');
            if (rest.length > 0)
              return inconclusive('non-scalar', `query returned ${data.result.length} series; expected one`);
            return fromValue(first.value[1]);
          }
          default:
            return inconclusive(
              'non-scalar',
              `query returned a ${data.resultType}; expected a scalar or one-sample vector`,
            );
        }
      } catch (error) {
        return inconclusive('error', error instanceof Error ? error.message : String(error));
      }
    },
  };
}
