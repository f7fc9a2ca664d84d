/** A launch plan with windows of seconds, against the world server's metrics. */
import type { LaunchPlanInput } from '../../domain/plan.js';

const q = (metric: string) => `${metric}{service="{{service}}",environment="{{environment}}"}`;

export function fastPlan(overrides: Partial<LaunchPlanInput> = {}): LaunchPlanInput {
  const now = Date.now();
  const iso = (offsetMs: number) => new Date(now + offsetMs).toISOString();
  return {
    service: 'checkout',
    version: '2.0.0',
    previousVersion: '1.0.0',
    owners: {
      readiness: 'rita',
      lockdown: 'lars',
      traffic: 'tara',
      rollbackDrill: 'dora',
      monitoring: 'mona',
      review: 'rev',
    },
    launchWindow: { start: iso(-60_000), end: iso(3_600_000) },
    freezeWindow: { start: iso(-120_000), end: iso(7_200_000) },
    approvals: {
      goNoGo: ['alice', 'bob'],
      rollbackAuthority: ['sre-sam'],
      freezeOverride: ['cab-carol'],
      metricsReview: ['alice', 'mia'],
      timeout: '60s',
    },
    successMetrics: [{ name: 'availability', query: q('lc_availability_ratio'), min: 0.99 }],
    ramp: [
      { percent: 0, observationWindow: '2s', review: 'auto' },
      { percent: 10, observationWindow: '3s', review: 'manual' },
      { percent: 50, observationWindow: '2s', review: 'manual' },
      { percent: 100, observationWindow: '2s', review: 'auto' },
    ],
    analysis: {
      interval: '1s',
      consecutiveBreaches: 2,
      consecutiveErrorLimit: 2,
      thresholds: [
        { name: 'error-ratio', category: 'errors', query: q('lc_error_ratio'), max: 0.02 },
        { name: 'latency-p99', category: 'latency', query: q('lc_latency_p99_seconds'), max: 0.5 },
        { name: 'cpu', category: 'resources', query: q('lc_cpu_utilization'), max: 0.8 },
        { name: 'orders', category: 'business', query: q('lc_business_orders_per_second'), min: 30 },
      ],
    },
    readiness: {
      ciPipeline: 'acme/checkout',
      capacityQuery: 'lc_capacity_headroom_ratio{service="checkout",environment="production"}',
      requiredSecrets: ['DATABASE_URL', 'API_KEY'],
    },
    drill: {
      badVersion: '3.0.0-bad',
      detectionTimeout: '20s',
      recoveryEvaluations: 2,
      recoveryTimeout: '20s',
    },
    monitoring: { window: '3s', interval: '1s', onCallSchedule: 'checkout-primary' },
    notifications: { channels: ['launch-announce', 'sre-oncall'] },
    review: { trackerProject: 'acme/checkout', timeout: '2m' },
    ...overrides,
  };
}
