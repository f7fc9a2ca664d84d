/**
 * The launch plan: one zod schema, used by the API (400s), by every workflow (a launch can be
 * started from the Temporal UI or CLI, bypassing the API) and for the OpenAPI document.
 *
 * A plan names integrations; it never carries a URL to call, a command or a secret. Queries are
 * PromQL sent to the named metrics integration, with `{{service}}`, `{{environment}}` and
 * `{{version}}` filled in from validated slugs.
 */
import { z } from 'zod';
import { burnRateRuleSchema } from './burn-rate.js';
import { canaryJudgeSchema } from './canary-judge.js';
import { durationMs } from './durations.js';
import {
  duration,
  durationWithin,
  launchIdSchema,
  person,
  slug,
  THRESHOLD_CATEGORIES,
  timeSchema,
  versionString,
} from './plan-fields.js';

export {
  duration,
  EARLIEST_TIME,
  launchIdSchema,
  MAX_DURATION,
  MAX_LAUNCH_ID_LENGTH,
  MAX_TIME_OFFSET,
  person,
  slug,
  versionString,
} from './plan-fields.js';

/** History stays bounded: one stage evaluates its thresholds at most this many times. */
export const MAX_EVALUATIONS_PER_STAGE = 1_000;
/** Queries one evaluation may send, so a catch-up call and its recorded result stay bounded. */
export const MAX_QUERIES_PER_SLOT = 120;
/** Samples the canary judge may fetch per evaluation (both slots, every metric). */
export const MAX_JUDGE_POINTS_PER_SLOT = 10_000;

/** Queries per evaluation: one per threshold, two per burn-rate alert, two per judge metric. */
export function slotQueryCount(analysis: LaunchPlan['analysis']): number {
  return (
    analysis.thresholds.length +
    analysis.burnRates.reduce((n, r) => n + 2 * r.alerts.length, 0) +
    2 * (analysis.canaryJudge?.metrics.length ?? 0)
  );
}

/** Samples the judge fetches per evaluation: both slots, every metric, over its span. */
export function judgePointsPerSlot(analysis: LaunchPlan['analysis']): number {
  const judge = analysis.canaryJudge;
  if (!judge) return 0;
  const span = Math.max(durationMs(analysis.interval), durationMs(judge.lookback ?? '0s'));
  return 2 * judge.metrics.length * (Math.floor(span / durationMs(judge.step)) + 1);
}

/** Samples per side the canary judge needs in a slot (an exact test of 6 vs 6 reaches p ≈ 0.002). */
export const MIN_JUDGE_SAMPLES = 6;
/** A launch or freeze window lasts at most this long. */
export const MAX_WINDOW = '366d';
/** Analysis and monitoring evaluate at most once a second and at least once an hour. */
const evaluationInterval = durationWithin({ min: '1s', max: '1h' });
const query = z.string().min(1).max(2_000);
const approverList = z.array(person).min(1, 'name at least one person');

export { THRESHOLD_CATEGORIES, type ThresholdCategory } from './plan-fields.js';

/** A bound on one query's value. Outside [min, max] is a breach; no value is inconclusive. */
export const thresholdSchema = z
  .object({
    name: slug,
    category: z.enum(THRESHOLD_CATEGORIES),
    query,
    min: z.number().finite().optional(),
    max: z.number().finite().optional(),
  })
  .strict()
  .refine((t) => t.min !== undefined || t.max !== undefined, {
    message: 'give min, max or both',
    path: ['max'],
  })
  .refine((t) => t.min === undefined || t.max === undefined || t.min <= t.max, {
    message: 'min must not exceed max',
    path: ['min'],
  });
export type Threshold = z.infer<typeof thresholdSchema>;

export const successMetricSchema = z
  .object({ name: slug, query, min: z.number().finite().optional(), max: z.number().finite().optional() })
  .strict()
  .refine((m) => m.min !== undefined || m.max !== undefined, {
    message: 'give min, max or both',
    path: ['max'],
  });
export type SuccessMetric = z.infer<typeof successMetricSchema>;

export const rampStageSchema = z
  .object({
    percent: z.number().int().min(0).max(100),
    observationWindow: durationWithin({ max: '7d' }),
    /** `manual`: an approver sends `metricsReview` after the window; `auto`: the analysis decides. */
    review: z.enum(['auto', 'manual']).default('auto'),
  })
  .strict();
export type RampStage = z.infer<typeof rampStageSchema>;

/** The task list's ramp: 0 → 10 → 50 → 100, with a human metrics review at 10 % and 50 %. */
export const DEFAULT_RAMP: RampStage[] = [
  { percent: 0, observationWindow: '5m', review: 'auto' },
  { percent: 10, observationWindow: '15m', review: 'manual' },
  { percent: 50, observationWindow: '30m', review: 'manual' },
  { percent: 100, observationWindow: '30m', review: 'auto' },
];

const windowSchema = z.object({ start: timeSchema, end: timeSchema }).strict();

const integrationsSchema = z
  .object({
    metrics: slug.default('default'),
    traffic: slug.default('default'),
    deployer: slug.default('default'),
    health: slug.default('default'),
    config: slug.default('default'),
    notifier: slug.default('default'),
    ci: slug.default('default'),
    oncall: slug.default('default'),
    incidents: slug.default('default'),
    tracker: slug.default('default'),
    docs: slug.default('default'),
    secrets: slug.default('default'),
    backups: slug.default('default'),
    integrity: slug.default('default'),
  })
  .strict();

const debugRuleSchema = z
  .object({
    source: z.enum(['env', 'flags']),
    /** Case-insensitive key pattern, e.g. `debug` matches DEBUG and debug-panel. */
    keyContains: z.string().min(1).max(64),
    allowed: z.array(z.string().max(32)).min(1),
  })
  .strict();

const launchPlanObject = z
  .object({
    /** Launch id = Temporal workflow id; defaults to `<service>-<version>`. */
    launchId: launchIdSchema.optional(),
    service: slug,
    version: versionString,
    previousVersion: versionString,
    environments: z
      .object({ production: slug.default('production'), staging: slug.default('staging') })
      .strict()
      .default({ production: 'production', staging: 'staging' }),
    owners: z
      .object({
        readiness: person,
        lockdown: person,
        traffic: person,
        rollbackDrill: person,
        monitoring: person,
        review: person,
      })
      .strict(),
    launchWindow: windowSchema,
    freezeWindow: windowSchema,
    approvals: z
      .object({
        goNoGo: approverList,
        rollbackAuthority: approverList,
        freezeOverride: approverList,
        metricsReview: approverList,
        /** How long a requested approval may wait; a timeout fails safe (no-go / abort). */
        timeout: duration.default('1h'),
        /**
         * Mint a one-time code for each eligible approver when an approval is requested, sent to
         * them privately; a Temporal UI signal carrying it is audited `verified`.
         */
        codes: z.boolean().default(false),
        /** Refuse approvals and freeze overrides whose sender is only claimed (neither API proof nor code). */
        requireVerifiedIdentity: z.boolean().default(false),
      })
      .strict(),
    successMetrics: z.array(successMetricSchema).min(1, 'define at least one success metric'),
    ramp: z.array(rampStageSchema).default(DEFAULT_RAMP),
    analysis: z
      .object({
        interval: evaluationInterval.default('30s'),
        consecutiveBreaches: z.number().int().min(1).max(100).default(2),
        consecutiveErrorLimit: z.number().int().min(1).max(100).default(3),
        thresholds: z.array(thresholdSchema).min(1, 'define at least one abort threshold'),
        /**
         * How long after a slot's time its evaluation waits at least, on time and late alike: for
         * samples stamped before the slot that reach the backend later (remote-write lag).
         */
        settle: durationWithin({ max: '5m' }).optional(),
        /** SLO burn-rate rules, judged each interval like thresholds (`domain/burn-rate.ts`). */
        burnRates: z.array(burnRateRuleSchema).max(10).default([]),
        /** Canary against stable at each slot of a ramp stage that splits traffic (`domain/canary-judge.ts`). */
        canaryJudge: canaryJudgeSchema.optional(),
      })
      .strict(),
    readiness: z
      .object({
        gates: z.array(slug).min(1).default(['gate-1', 'gate-2', 'gate-3', 'gate-4']),
        ciPipeline: z.string().regex(/^[A-Za-z0-9_.-]+\/[A-Za-z0-9_.-]+$/, 'owner/repo'),
        ciBranch: z
          .string()
          .regex(/^[A-Za-z0-9._/-]{1,100}$/)
          .default('main'),
        capacityQuery: query,
        minCapacityHeadroom: z.number().min(0).max(1).default(0.3),
        requiredSecrets: z.array(z.string().regex(/^[A-Za-z0-9_.-]{1,128}$/)).min(1),
        maxBackupAge: duration.default('24h'),
      })
      .strict(),
    lockdown: z
      .object({
        debugRules: z.array(debugRuleSchema).default([
          { source: 'env', keyContains: 'debug', allowed: ['false', '0', 'off', 'no', ''] },
          { source: 'flags', keyContains: 'debug', allowed: ['false'] },
        ]),
      })
      .strict()
      .default({
        debugRules: [
          { source: 'env', keyContains: 'debug', allowed: ['false', '0', 'off', 'no', ''] },
          { source: 'flags', keyContains: 'debug', allowed: ['false'] },
        ],
      }),
    drill: z
      .object({
        badVersion: versionString,
        /** Longest the analysis may take to see the bad version before the drill fails. */
        detectionTimeout: durationWithin({ max: '1d' }).default('10m'),
        /** Healthy evaluations in a row after the rollback that count as recovered. */
        recoveryEvaluations: z.number().int().min(1).max(100).default(2),
        recoveryTimeout: durationWithin({ max: '1d' }).default('10m'),
      })
      .strict(),
    monitoring: z
      .object({
        window: duration.default('24h'),
        interval: evaluationInterval.default('30s'),
        onCallSchedule: z.string().regex(/^[A-Za-z0-9_.-]{1,64}$/),
      })
      .strict(),
    notifications: z.object({ channels: z.array(slug).min(1) }).strict(),
    review: z
      .object({
        /** Tracker project (owner/repo) where action items are filed. */
        trackerProject: z.string().regex(/^[A-Za-z0-9_.-]+\/[A-Za-z0-9_.-]+$/, 'owner/repo'),
        timeout: duration.default('7d'),
      })
      .strict(),
    integrations: integrationsSchema.default(integrationsSchema.parse({})),
  })
  .strict();

export type LaunchPlan = z.infer<typeof launchPlanObject>;
/**
 * The cross-field rules run even when some fields are malformed (`when`), so one 400 names every
 * problem; each group of rules runs only if the fields it reads parsed cleanly.
 */
export const launchPlanSchema = launchPlanObject.superRefine(checkCrossFieldRules, {
  when: (payload) => typeof payload.value === 'object' && payload.value !== null,
});
export type LaunchPlanInput = z.input<typeof launchPlanSchema>;

function checkCrossFieldRules(p: LaunchPlan, ctx: z.RefinementCtx) {
  const issue = (path: (string | number)[], message: string) =>
    ctx.addIssue({ code: 'custom', path, message });
  const earlier = [...ctx.issues];
  /** True when every field under these paths parsed without an issue (and is present). */
  const clean = (...paths: string[][]) =>
    paths.every((path) => {
      const value = path.reduce<unknown>(
        (v, k) => (v && typeof v === 'object' ? (v as Record<string, unknown>)[k] : undefined),
        p,
      );
      return value !== undefined && !earlier.some((i) => path.every((k, n) => String(i.path?.[n]) === k));
    });

  if (clean(['environments'])) {
    const problem = drillEnvironmentProblem(p.environments);
    if (problem) issue(['environments', 'staging'], `must differ from environments.production: ${problem}`);
  }
  if (clean(['service'], ['version']) && p.launchId === undefined) {
    const derived = launchIdFor(p);
    if (!launchIdSchema.safeParse(derived).success)
      issue(['launchId'], `the derived id "${derived}" is not a valid launch id; set launchId`);
  }
  if (clean(['version'], ['previousVersion']) && p.version === p.previousVersion)
    issue(['version'], 'must differ from previousVersion');
  if (clean(['drill'], ['previousVersion']) && p.drill.badVersion === p.previousVersion)
    issue(['drill', 'badVersion'], 'must differ from previousVersion');
  if (clean(['ramp'], ['analysis'])) checkRamp(p, issue);
  if (clean(['monitoring']) && durationMs(p.monitoring.window) < durationMs(p.monitoring.interval))
    issue(['monitoring', 'window'], 'must be at least monitoring.interval');
  if (clean(['launchWindow'], ['freezeWindow'])) checkWindows(p, issue);
  if (clean(['analysis'])) checkThresholds(p, issue);
  if (clean(['analysis'], ['drill'])) {
    const interval = durationMs(p.analysis.interval);
    for (const key of ['detectionTimeout', 'recoveryTimeout'] as const)
      if (durationMs(p.drill[key]) / interval > MAX_EVALUATIONS_PER_STAGE)
        issue(['drill', key], `more than ${MAX_EVALUATIONS_PER_STAGE} evaluations; raise analysis.interval`);
  }
}

type AddIssue = (path: (string | number)[], message: string) => void;

function checkRamp(p: LaunchPlan, issue: AddIssue) {
  const stages = p.ramp;
  if (stages.length < 2) issue(['ramp'], 'needs at least two stages (0 and 100)');
  if (stages[0] && stages[0].percent !== 0)
    issue(['ramp', 0, 'percent'], 'the ramp starts at 0 (dark launch)');
  for (const required of [0, 10, 50, 100])
    if (!stages.some((s) => s.percent === required))
      issue(['ramp'], `the ramp must include the task list's ${required}% stage`);
  const last = stages[stages.length - 1];
  if (last && last.percent !== 100) issue(['ramp', stages.length - 1, 'percent'], 'the ramp ends at 100');
  stages.forEach((stage, i) => {
    const prev = stages[i - 1];
    if (prev && stage.percent <= prev.percent) issue(['ramp', i, 'percent'], 'stages must strictly increase');
  });

  const interval = durationMs(p.analysis.interval);
  stages.forEach((stage, i) => {
    const window = durationMs(stage.observationWindow);
    if (window < interval) issue(['ramp', i, 'observationWindow'], 'must be at least analysis.interval');
    else if (stage.percent > 0 && window < interval * p.analysis.consecutiveBreaches)
      issue(
        ['ramp', i, 'observationWindow'],
        'must allow analysis.consecutiveBreaches evaluations (interval × consecutiveBreaches)',
      );
    if (window / interval > MAX_EVALUATIONS_PER_STAGE)
      issue(
        ['ramp', i, 'observationWindow'],
        `more than ${MAX_EVALUATIONS_PER_STAGE} evaluations; raise the interval`,
      );
  });
}

function checkWindows(p: LaunchPlan, issue: AddIssue) {
  for (const key of ['launchWindow', 'freezeWindow'] as const) {
    const length = Date.parse(p[key].end) - Date.parse(p[key].start);
    if (length <= 0) issue([key, 'end'], 'must be after start');
    else if (length > durationMs(MAX_WINDOW)) issue([key, 'end'], `the window lasts at most ${MAX_WINDOW}`);
  }
  if (Date.parse(p.freezeWindow.start) > Date.parse(p.launchWindow.start))
    issue(['freezeWindow', 'start'], 'the freeze must begin no later than the launch window');
  if (Date.parse(p.freezeWindow.end) < Date.parse(p.launchWindow.end))
    issue(['freezeWindow', 'end'], 'the freeze must last at least until the launch window ends');
}

function checkThresholds(p: LaunchPlan, issue: AddIssue) {
  const names = new Set<string>();
  const rules = [
    ...p.analysis.thresholds.map((t, i) => ({ ...t, path: ['analysis', 'thresholds', i, 'name'] })),
    ...p.analysis.burnRates.map((r, i) => ({ ...r, path: ['analysis', 'burnRates', i, 'name'] })),
  ];
  for (const rule of rules) {
    if (names.has(rule.name)) issue(rule.path, `duplicate threshold name "${rule.name}"`);
    names.add(rule.name);
  }
  const queries = slotQueryCount(p.analysis);
  if (queries > MAX_QUERIES_PER_SLOT)
    issue(
      ['analysis'],
      `${queries} queries per evaluation (thresholds, burn-rate windows, judge series); at most ${MAX_QUERIES_PER_SLOT}`,
    );
  const judge = p.analysis.canaryJudge;
  if (judge) {
    const points = judgePointsPerSlot(p.analysis);
    if (points > MAX_JUDGE_POINTS_PER_SLOT)
      issue(
        ['analysis', 'canaryJudge', 'lookback'],
        `${points} samples per evaluation (metrics × 2 × lookback ÷ step); at most ${MAX_JUDGE_POINTS_PER_SLOT}: raise step or shorten lookback`,
      );
    if (names.has(judge.name))
      issue(['analysis', 'canaryJudge', 'name'], `"${judge.name}" already names a threshold`);
    const span = Math.max(durationMs(p.analysis.interval), durationMs(judge.lookback ?? '0s'));
    if (Math.floor(span / durationMs(judge.step)) + 1 < MIN_JUDGE_SAMPLES)
      issue(
        ['analysis', 'canaryJudge', 'step'],
        `gives fewer than ${MIN_JUDGE_SAMPLES} samples per slot: lower it, or set lookback (the interval or lookback, whichever is longer, spans the samples)`,
      );
  }
  for (const category of THRESHOLD_CATEGORIES) {
    if (!rules.some((t) => t.category === category))
      issue(['analysis', 'thresholds'], `heightened monitoring needs a threshold in category "${category}"`);
  }
}

/**
 * Why the rollback drill must not run against `environments.staging`, or null. The drill deploys
 * a known-bad build there: never to production, however the names are written. The plan refuses
 * such a plan, and the drill checks again before it deploys anything.
 */
export function drillEnvironmentProblem(environments: {
  production: string;
  staging: string;
}): string | null {
  const normal = (name: string) => name.trim().toLowerCase();
  return normal(environments.staging) === normal(environments.production)
    ? `"${environments.staging}" is the production environment; the rollback drill deploys a known-bad build to staging`
    : null;
}

/** The launch id, also the Temporal workflow id (a valid `launchIdSchema` for every valid plan). */
export function launchIdFor(plan: Pick<LaunchPlan, 'launchId' | 'service' | 'version'>): string {
  return plan.launchId ?? `${plan.service}-${plan.version}`.toLowerCase().replace(/[^a-z0-9._-]/g, '-');
}

export type PlanFieldError = { path: string; message: string };

/** Every bad field, as `a.b.0.c: message`, for 400s and workflow failures alike. */
export function planFieldErrors(error: z.ZodError): PlanFieldError[] {
  return error.issues.map((i) => ({ path: i.path.map(String).join('.') || '(root)', message: i.message }));
}

export type PlanCheck = { ok: true; plan: LaunchPlan } | { ok: false; errors: PlanFieldError[] };

export function checkPlan(input: unknown): PlanCheck {
  const parsed = launchPlanSchema.safeParse(input);
  return parsed.success
    ? { ok: true, plan: parsed.data }
    : { ok: false, errors: planFieldErrors(parsed.error) };
}

/** Fills `{{service}}`, `{{environment}}`, `{{version}}` into a query (values are validated slugs). */
export function renderQuery(
  template: string,
  vars: { service: string; environment: string; version: string },
) {
  return template
    .replaceAll('{{service}}', vars.service)
    .replaceAll('{{environment}}', vars.environment)
    .replaceAll('{{version}}', vars.version);
}
