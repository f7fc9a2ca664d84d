/**
 * PromQL for a launch plan against the demo stack, with `{{service}}` and `{{environment}}`
 * placeholders. Each returns exactly one sample (aggregated to a single series) or, when there is no
 * data, nothing / NaN, which Launch Control treats as inconclusive, never as healthy.
 */

const SELECTOR = 'service="{{service}}",environment="{{environment}}"';
const WINDOW = '10s';

/**
 * 5xx share of the service's API requests. Only the numerator falls back to 0: with requests but no
 * 5xx series there were no errors; with no requests the denominator is empty (or 0 → NaN), so the
 * ratio stays empty/NaN.
 */
const ERROR_RATIO =
  `(sum(rate(demo_requests_total{${SELECTOR},code=~"5.."}[${WINDOW}])) or vector(0))` +
  ` / sum(rate(demo_requests_total{${SELECTOR}}[${WINDOW}]))`;

export const DEMO_QUERIES = {
  /** 0..1; healthy near 0. */
  errorRatio: ERROR_RATIO,
  /** Seconds. NaN when there were no requests in the window. */
  p99LatencySeconds: `histogram_quantile(0.99, sum by (le) (rate(demo_request_duration_seconds_bucket{${SELECTOR}}[${WINDOW}])))`,
  /** CPU cores used by the busiest process of the service. */
  cpuCores: `max(rate(demo_cpu_seconds_total{${SELECTOR}}[${WINDOW}]))`,
  /** Orders stored per second (business metric). */
  ordersPerSecond: `sum(rate(demo_orders_total{${SELECTOR}}[${WINDOW}]))`,
  /** 0..1; healthy near 1. */
  availability: `1 - (${ERROR_RATIO})`,
  /** Share of one core the busiest process leaves free; ≤ 1, healthy well above 0. */
  capacityHeadroom: `1 - max(rate(demo_cpu_seconds_total{${SELECTOR}}[${WINDOW}]))`,
} as const;

export type DemoQueryName = keyof typeof DEMO_QUERIES;

/** Fills the placeholders (the values are known demo names, so no escaping is needed). */
export function renderDemoQuery(
  name: DemoQueryName,
  values: { service: string; environment: string },
): string {
  return DEMO_QUERIES[name]
    .replaceAll('{{service}}', values.service)
    .replaceAll('{{environment}}', values.environment);
}
