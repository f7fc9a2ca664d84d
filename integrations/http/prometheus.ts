/**
 * MetricsSource over the Prometheus HTTP API: `GET /api/v1/query` (instant) and
 * `GET /api/v1/query_range` (range). Never throws: failures are samples.
 */
import { z } from 'zod';
import type { PrometheusMetricsConfig } from '../config.js';
import type { MetricSample, MetricsSource, RangeSample, RangeWindow } from '../types.js';
import { clientFor, type AdapterContext, type HttpClient, type Query } from './client.js';

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

/** The series of a range query (`values` per series); parsed only where a matrix is expected. */
const matrixResult = z.array(z.looseObject({ values: z.array(samplePair) }));

/** Prometheus refuses range queries of more than 11,000 points per series. */
const MAX_RANGE_POINTS = 11_000;

type SuccessData = Extract<z.output<typeof queryResponse>, { status: 'success' }>['data'];

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

function rangeInconclusive(status: 'empty' | 'nan' | 'non-scalar' | 'error', error: string): RangeSample {
  return { status, values: null, error };
}

/** One API call: the `data` of a success answer, or why there is none (never throws). */
async function callApi(
  client: HttpClient,
  path: string,
  query: Query,
): Promise<{ data: SuccessData } | { error: string }> {
  try {
    const response = await client.send('GET', path, { query });
    let body: z.output<typeof queryResponse>;
    try {
      body = client.parseJson('GET', path, response.text, queryResponse);
    } catch (error) {
      // A non-2xx without Prometheus' JSON error body (proxy page, …): report the status instead.
      return { error: (response.ok ? (error as Error) : client.statusError('GET', path, response)).message };
    }
    if (body.status === 'error') {
      const kind = body.errorType ?? 'error';
      return {
        error: `prometheus ${kind} (${response.status}): ${(body.error ?? 'no detail').slice(0, 200)}`,
      };
    }
    if (!response.ok) return { error: client.statusError('GET', path, response).message };
    return { data: body.data };
  } catch (error) {
    return { error: error instanceof Error ? error.message : String(error) };
  }
}

function windowProblem({ startMs, endMs, stepMs }: RangeWindow): string | null {
  if (![startMs, endMs, stepMs].every(Number.isFinite)) return 'start, end and step must be finite numbers';
  if (stepMs <= 0) return `step must be positive, got ${stepMs}ms`;
  if (endMs < startMs) return 'end is before start';
  const points = Math.floor((endMs - startMs) / stepMs) + 1;
  if (points > MAX_RANGE_POINTS) return `window has ${points} points; at most ${MAX_RANGE_POINTS}`;
  return null;
}

/** Seconds with millisecond precision, as Prometheus takes them (`1700000000.25`). */
function seconds(ms: number): string {
  return String(Math.round(ms) / 1000);
}

/**
 * The points of one series. NaN and ±Inf points (a ratio over a step without requests) stay in
 * as NaN, for the reader's own NaN policy; a series of nothing else is `nan`.
 */
function fromSeries(pairs: readonly (readonly [number, string])[]): RangeSample {
  if (pairs.length === 0) return rangeInconclusive('empty', 'query returned a series without samples');
  const values: [number, number][] = [];
  let firstNaN: string | null = null;
  for (const [timestamp, raw] of pairs) {
    const sample = fromValue(raw);
    const at = new Date(Math.round(timestamp * 1000)).toISOString();
    if (sample.status === 'nan') firstNaN ??= `${sample.error} at ${at}`;
    else if (sample.status !== 'ok') return rangeInconclusive(sample.status, `${sample.error} at ${at}`);
    values.push([Math.round(timestamp * 1000), sample.status === 'ok' ? sample.value : Number.NaN]);
  }
  if (firstNaN !== null && values.every(([, v]) => Number.isNaN(v)))
    return rangeInconclusive('nan', firstNaN);
  return { status: 'ok', values };
}

export function createPrometheusMetrics(
  config: PrometheusMetricsConfig,
  context: AdapterContext,
): MetricsSource {
  const client = clientFor(config, context);
  return {
    async query(query, atMs) {
      if (atMs !== undefined && !Number.isFinite(atMs))
        return inconclusive('error', `invalid evaluation time ${atMs}`);
      const outcome = await callApi(client, '/api/v1/query', {
        query,
        ...(atMs === undefined ? {} : { time: seconds(atMs) }),
      });
      if ('error' in outcome) return inconclusive('error', outcome.error);
      const data = outcome.data;
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
    },

    async queryRange(query, window) {
      const problem = windowProblem(window);
      if (problem !== null) return rangeInconclusive('error', `invalid range window: ${problem}`);
      const outcome = await callApi(client, '/api/v1/query_range', {
        query,
        start: seconds(window.startMs),
        end: seconds(window.endMs),
        step: seconds(window.stepMs),
      });
      if ('error' in outcome) return rangeInconclusive('error', outcome.error);
      if (outcome.data.resultType !== 'matrix') {
        return rangeInconclusive(
          'error',
          `query_range returned a ${outcome.data.resultType}; expected a matrix`,
        );
      }
      const series = matrixResult.safeParse(outcome.data.result);
      if (!series.success) return rangeInconclusive('error', 'query_range returned a malformed matrix');
      const [first, ...rest] = series.data;
      if (first === undefined) return rangeInconclusive('empty', 'query returned no series');
      if (rest.length > 0) {
        return rangeInconclusive('non-scalar', `query returned ${series.data.length} series; expected one`);
      }
      return fromSeries(first.values);
    },
  };
}
