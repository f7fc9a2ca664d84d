/**
 * Payloads of the human actions on a launch (DESIGN §9). One schema each, shared by the API, the
 * workflows (a payload typed into the Temporal UI gets the same checks) and the OpenAPI document.
 */
import { z } from 'zod';
import { approvalCode } from './identity.js';
import { person, type LaunchPlan } from './plan.js';

const comment = z.string().max(2_000).optional();
const text = (max: number) => z.string().trim().min(1).max(max);
const httpsLink = z.url({ protocol: /^https?$/ }).max(2_000);
/** Only approvals a task requests carry a code (minted with the request when the plan asks for codes). */
const code = approvalCode.optional();

export const goNoGoSchema = z
  .object({ by: person, decision: z.enum(['go', 'no-go']), comment, code })
  .strict();
export const metricsReviewSchema = z
  .object({
    by: person,
    stage: z.number().int().min(0).max(100),
    verdict: z.enum(['proceed', 'abort']),
    comment,
    code,
  })
  .strict();
export const abortSchema = z.object({ by: person, reason: text(2_000) }).strict();
export const freezeOverrideSchema = z.object({ by: person, reason: text(2_000), change: text(200) }).strict();
export const onCallAckSchema = z.object({ by: person, code }).strict();
export const actionItemSchema = z
  .object({ title: text(200), owner: person, due: z.iso.date().optional() })
  .strict();
export const postLaunchReviewSchema = z
  .object({
    by: person,
    issues: z.array(text(500)).max(100),
    improvements: z.array(text(500)).min(1, 'name at least one improvement').max(100),
    lessons: text(10_000),
    runbooksUrl: httpsLink,
    architectureDocsUrl: httpsLink,
    actionItems: z.array(actionItemSchema).min(1, 'track at least one action item').max(50),
    code,
  })
  .strict();

/** A request to change production config during the freeze (sent by CI/CD through the freeze gate). */
export const configChangeRequestSchema = z
  .object({ by: person, change: text(200), reason: text(2_000).optional() })
  .strict();

export const SIGNAL_SCHEMAS = {
  goNoGo: goNoGoSchema,
  metricsReview: metricsReviewSchema,
  abort: abortSchema,
  freezeOverride: freezeOverrideSchema,
  onCallAck: onCallAckSchema,
  postLaunchReview: postLaunchReviewSchema,
} as const;

export type SignalName = keyof typeof SIGNAL_SCHEMAS;
export const SIGNAL_NAMES = Object.keys(SIGNAL_SCHEMAS) as SignalName[];
export type SignalPayloads = { [K in SignalName]: z.infer<(typeof SIGNAL_SCHEMAS)[K]> };
export type GoNoGo = SignalPayloads['goNoGo'];
export type MetricsReview = SignalPayloads['metricsReview'];
export type AbortRequest = SignalPayloads['abort'];
export type FreezeOverride = SignalPayloads['freezeOverride'];
export type OnCallAck = SignalPayloads['onCallAck'];
export type PostLaunchReview = SignalPayloads['postLaunchReview'];
export type ConfigChangeRequest = z.infer<typeof configChangeRequestSchema>;

export function isSignalName(name: string): name is SignalName {
  return Object.hasOwn(SIGNAL_SCHEMAS, name);
}

/**
 * Who may send each action according to the plan. `onCallAck` is checked against the rotation at
 * run time, so it has no static list.
 */
export function authorizedSenders(plan: LaunchPlan, name: Exclude<SignalName, 'onCallAck'>): string[] {
  switch (name) {
    case 'goNoGo':
      return plan.approvals.goNoGo;
    case 'metricsReview':
      return plan.approvals.metricsReview;
    case 'freezeOverride':
      return plan.approvals.freezeOverride;
    case 'postLaunchReview':
      return [plan.owners.review];
    case 'abort':
      // Whoever may order a rollback, and the people running the launch.
      return [...new Set([...plan.approvals.rollbackAuthority, ...Object.values(plan.owners)])];
  }
}

/**
 * Human-readable field errors for a refused payload (`stage: expected number`). Bounded: a payload
 * with thousands of bad fields or huge key names is described in at most ~2 KB (the first 10
 * issues, each cut to 200 characters, then how many more).
 */
export function describePayloadErrors(error: z.ZodError): string {
  const cut = (s: string) => (s.length <= 200 ? s : `${s.slice(0, 199)}…`);
  const shown = error.issues
    .slice(0, 10)
    .map((i) => cut(`${i.path.map(String).join('.') || '(payload)'}: ${i.message}`));
  const more = error.issues.length - shown.length;
  return shown.join('; ') + (more > 0 ? `; and ${more} more` : '');
}

/** What each signal expects, shown by the `status` query next to a pending approval. */
export function examplePayload(name: SignalName, hint: { stage?: number } = {}): Record<string, unknown> {
  switch (name) {
    case 'goNoGo':
      return { by: '<approver>', decision: 'go', comment: 'optional' };
    case 'metricsReview':
      return { by: '<approver>', stage: hint.stage ?? 10, verdict: 'proceed', comment: 'optional' };
    case 'abort':
      return { by: '<rollback authority>', reason: '<why>' };
    case 'freezeOverride':
      return { by: '<override approver>', reason: '<why>', change: '<change id>' };
    case 'onCallAck':
      return { by: '<person on call>' };
    case 'postLaunchReview':
      return {
        by: '<review owner>',
        issues: ['<issue>'],
        improvements: ['<improvement>'],
        lessons: '<lessons learned>',
        runbooksUrl: '<docs link>',
        architectureDocsUrl: '<docs link>',
        actionItems: [{ title: '<action>', owner: '<person>', due: '2026-12-31' }],
      };
  }
}
