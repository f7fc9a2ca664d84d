/**
 * The test world's metrics model: a tiny PromQL subset (`metric{label="v",…}`, optional `[5m]`,
 * or a number literal) and the per-target blend of good/bad version profiles by traffic share.
 */

import type { Reply } from './world-routes.js';
import type { World } from './world.js';

export const targetKey = (service: string, environment: string) => `${service}/${environment}`;
export const slotKey = (service: string, environment: string, slot: string) =>
  `${service}/${environment}/${slot}`;

export type MetricProfile = {
  lc_error_ratio: number;
  lc_latency_p99_seconds: number;
  lc_cpu_utilization: number;
  lc_business_orders_per_second: number;
  lc_availability_ratio: number;
};

export const GOOD_PROFILE: MetricProfile = {
  lc_error_ratio: 0.001,
  lc_latency_p99_seconds: 0.08,
  lc_cpu_utilization: 0.35,
  lc_business_orders_per_second: 50,
  lc_availability_ratio: 0.999,
};

export const BAD_PROFILE: MetricProfile = {
  lc_error_ratio: 0.25,
  lc_latency_p99_seconds: 1.2,
  lc_cpu_utilization: 0.9,
  lc_business_orders_per_second: 20,
  lc_availability_ratio: 0.75,
};

/** Headroom does not depend on the split in this model. */
export const CAPACITY_HEADROOM_RATIO = 0.45;

export const KNOWN_METRICS = [...Object.keys(GOOD_PROFILE), 'lc_capacity_headroom_ratio'] as const;

export type ParsedQuery =
  | { kind: 'literal'; value: number }
  | { kind: 'selector'; metric: string; labels: Record<string, string>; range: string | undefined };

export class QueryParseError extends Error {}

const METRIC_NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*/;
const MATCHER = /^\s*([a-zA-Z_][a-zA-Z0-9_]*)\s*=\s*"((?:[^"\\]|\\.)*)"\s*(,|(?=\}))/;
const RANGE = /^\[\s*(\d+[smhdw])\s*\]/;

/** Parses the supported subset; anything else is a `QueryParseError` (Prometheus answers bad_data). */
export function parseQuery(query: string): ParsedQuery {
  const text = query.trim();
  if (text === '') throw new QueryParseError('empty query');
  if (/^[+-]?(\d+(\.\d*)?|\.\d+)(e[+-]?\d+)?$/i.test(text)) return { kind: 'literal', value: Number(text) };
  const name = METRIC_NAME.exec(text);
  if (!name) throw new QueryParseError(`unexpected character at position 0 in ${JSON.stringify(query)}`);
  let rest = text.slice(name[0].length).trimStart();
  const labels: Record<string, string> = {};
  if (rest.startsWith('{')) {
    rest = rest.slice(1);
    while (!rest.trimStart().startsWith('}')) {
      const matcher = MATCHER.exec(rest);
      if (!matcher || matcher[1] === undefined || matcher[2] === undefined) {
        throw new QueryParseError(`unexpected input in label matchers: ${JSON.stringify(rest.slice(0, 30))}`);
      }
      labels[matcher[1]] = matcher[2].replace(/\\(.)/g, '$1');
      rest = rest.slice(matcher[0].length);
    }
    rest = rest.trimStart().slice(1).trimStart();
  }
  let range: string | undefined;
  const rangeMatch = RANGE.exec(rest);
  if (rangeMatch) {
    range = rangeMatch[1];
    rest = rest.slice(rangeMatch[0].length).trimStart();
  }
  if (rest !== '')
    throw new QueryParseError(`unexpected trailing input ${JSON.stringify(rest.slice(0, 30))}`);
  return { kind: 'selector', metric: name[0], labels, range };
}

/** A slot's build: bad (in `badVersions`), its own profile (`versionProfiles`), or good. */
export type SlotProfile = boolean | Partial<MetricProfile>;

/**
 * value = p·canary + (1−p)·stable with p = canaryPercent/100; a slot with nothing deployed counts
 * as good. Unknown metric → undefined.
 */
export function blendedValue(
  metric: string,
  canaryPercent: number,
  canary: SlotProfile,
  stable: SlotProfile,
): number | undefined {
  if (metric === 'lc_capacity_headroom_ratio') return CAPACITY_HEADROOM_RATIO;
  if (!Object.hasOwn(GOOD_PROFILE, metric)) return undefined;
  const key = metric as keyof MetricProfile;
  const valueOf = (slot: SlotProfile) =>
    slot === true ? BAD_PROFILE[key] : slot === false ? GOOD_PROFILE[key] : (slot[key] ?? GOOD_PROFILE[key]);
  const p = canaryPercent / 100;
  return p * valueOf(canary) + (1 - p) * valueOf(stable);
}

/** Prometheus' string form of a sample value. */
export function formatSampleValue(value: number): string {
  if (Number.isNaN(value)) return 'NaN';
  if (value === Infinity) return '+Inf';
  if (value === -Infinity) return '-Inf';
  return String(value);
}

/** `GET /api/v1/query`, answered in the Prometheus HTTP API's shapes. */
export function prometheusQuery(world: World, _params: string[], query: URLSearchParams): Reply {
  // `time=` (seconds) asks for the value at that moment, as Prometheus keeps history; default now.
  const time = query.get('time');
  const atMs = time === null ? Date.now() : Number(time) * 1000;
  if (!Number.isFinite(atMs))
    return {
      status: 400,
      json: { status: 'error', errorType: 'bad_data', error: `invalid parameter "time": ${time}` },
    };
  let parsed: ParsedQuery;
  try {
    parsed = parseQuery(query.get('query') ?? '');
  } catch (error) {
    if (!(error instanceof QueryParseError)) throw error;
    return {
      status: 400,
      json: { status: 'error', errorType: 'bad_data', error: `1:1: parse error: ${error.message}` },
    };
  }
  return parsed.kind === 'literal'
    ? {
        status: 200,
        json: {
          status: 'success',
          data: { resultType: 'scalar', result: [atMs / 1000, formatSampleValue(parsed.value)] },
        },
      }
    : selectorQuery(world, parsed, Math.min(atMs, Date.now()));
}

type Series = { labels: Record<string, string>; value: number };

/**
 * The series a selector picks at `atMs`, or an injected failure. A `slot` label (canary | stable)
 * picks that slot's own build; without it the value blends both by the traffic split.
 */
function seriesAt(
  world: World,
  parsed: Extract<ParsedQuery, { kind: 'selector' }>,
  atMs: number,
): Series[] | 'error' {
  const override =
    world.metricOverrides.getAt(`${parsed.metric}|${parsed.labels.service}`, atMs) ??
    world.metricOverrides.getAt(parsed.metric, atMs);
  if (override === 'error') return 'error';
  if (override === 'empty') return [];
  if (override === 'nan') return [{ labels: parsed.labels, value: NaN }];
  if (typeof override === 'number') return [{ labels: parsed.labels, value: override }];
  if (override === 'non-scalar')
    return [
      { labels: { ...parsed.labels, pod: 'a' }, value: 1 },
      { labels: { ...parsed.labels, pod: 'b' }, value: 2 },
    ];

  // Which (service, environment) series the selector picks: the named one, or every known one matching.
  const { service, environment, slot } = parsed.labels;
  const known = new Set([
    ...world.canaryPercents.keysAt(atMs),
    ...world.versions.keysAt(atMs).map((k) => k.split('/').slice(0, 2).join('/')),
  ]);
  const targets =
    service !== undefined && environment !== undefined
      ? [[service, environment] as const]
      : [...known]
          .map((key) => key.split('/') as [string, string])
          .filter(
            ([s, e]) =>
              (service === undefined || s === service) && (environment === undefined || e === environment),
          );
  return targets.flatMap(([s, e]) => {
    const profileOf = (slotName: string): SlotProfile => {
      const version = world.versions.getAt(slotKey(s, e, slotName), atMs) ?? '';
      return world.badVersions.hasAt(version, atMs) || (world.versionProfiles.get(version) ?? false);
    };
    const percent =
      slot === 'canary'
        ? 100
        : slot === 'stable'
          ? 0
          : (world.canaryPercents.getAt(targetKey(s, e), atMs) ?? 0);
    const value = blendedValue(parsed.metric, percent, profileOf('canary'), profileOf('stable'));
    return value === undefined ? [] : [{ labels: { ...parsed.labels, service: s, environment: e }, value }];
  });
}

const injectedFailure: Reply = {
  status: 422,
  json: { status: 'error', errorType: 'execution', error: 'injected query failure' },
};

function selectorQuery(
  world: World,
  parsed: Extract<ParsedQuery, { kind: 'selector' }>,
  atMs: number,
): Reply {
  const series = seriesAt(world, parsed, atMs);
  if (series === 'error') return injectedFailure;
  const at = atMs / 1000;
  const result = series.map(({ labels, value }) => ({
    metric: { __name__: parsed.metric, ...labels },
    ...(parsed.range
      ? { values: [[at, formatSampleValue(value)]] }
      : { value: [at, formatSampleValue(value)] }),
  }));
  const resultType = parsed.range ? 'matrix' : 'vector';
  return { status: 200, json: { status: 'success', data: { resultType, result } } };
}

/** Prometheus refuses range queries of more points than this per series. */
const MAX_RANGE_POINTS = 11_000;

/** `GET /api/v1/query_range`: the selector evaluated at start, start + step, … ≤ end. */
export function prometheusRangeQuery(world: World, _params: string[], query: URLSearchParams): Reply {
  const bad = (error: string): Reply => ({
    status: 400,
    json: { status: 'error', errorType: 'bad_data', error },
  });
  const [start, end, step] = ['start', 'end', 'step'].map((name) => Number(query.get(name)) * 1000);
  if (![start, end, step].every((v) => Number.isFinite(v)) || step! <= 0 || end! < start!)
    return bad('invalid start, end or step');
  if ((end! - start!) / step! + 1 > MAX_RANGE_POINTS)
    return bad('exceeded maximum resolution of 11,000 points');
  let parsed: ParsedQuery;
  try {
    parsed = parseQuery(query.get('query') ?? '');
  } catch (error) {
    if (!(error instanceof QueryParseError)) throw error;
    return bad(`1:1: parse error: ${error.message}`);
  }
  if (parsed.kind === 'literal' || parsed.range) return bad('query_range takes an instant selector');
  const matrix = new Map<string, { metric: Record<string, string>; values: [number, string][] }>();
  for (let t = start!; t <= end!; t += step!) {
    const series = seriesAt(world, parsed, Math.min(t, Date.now()));
    if (series === 'error') return injectedFailure;
    for (const { labels, value } of series) {
      const key = JSON.stringify(labels);
      const entry = matrix.get(key) ?? { metric: { __name__: parsed.metric, ...labels }, values: [] };
      entry.values.push([t / 1000, formatSampleValue(value)]);
      matrix.set(key, entry);
    }
  }
  return {
    status: 200,
    json: { status: 'success', data: { resultType: 'matrix', result: [...matrix.values()] } },
  };
}
