/**
 * Shapes of what the API answers, for the OpenAPI document. Request bodies, parameters and
 * queries are the domain's and the routes' own zod schemas; these describe responses, and the
 * routes type what they send with them (`satisfies`), so the document cannot drift silently.
 */
import { z } from 'zod';
import { THRESHOLD_CATEGORIES } from '../domain/plan.js';
import { ACTIVE_PHASES, TERMINAL_PHASES, type Phase } from '../domain/launch-state.js';
import { SIGNAL_NAMES } from '../domain/messages.js';

/** Every value the `LaunchPhase` search attribute (and a status's `phase`) takes. */
/** Counts of checklist items by status (status query and checklist answer). */
const checklistSummarySchema = z.object({
  total: z.number(),
  pending: z.number(),
  running: z.number(),
  passed: z.number(),
  failed: z.number(),
  skipped: z.number(),
});

export const KNOWN_PHASES = [
  'STARTING',
  ...ACTIVE_PHASES,
  'ROLLING_BACK',
  ...TERMINAL_PHASES,
] as const satisfies readonly Phase[];

const TASK_IDS = ['5.1', '5.2', '5.3', '5.4', '5.5', '5.6', 'completion'] as const;
const isoTime = z.string().meta({ format: 'date-time' });

export const fieldErrorSchema = z.object({ path: z.string(), message: z.string() });

/** Every error the API answers: a machine-readable code and a message; more fields by case. */
export const errorSchema = z
  .object({
    error: z.string().meta({
      description:
        'invalid-request, unauthorized, forbidden, not-found, conflict, rate-limited, payload-too-large, unsupported-media-type, internal',
    }),
    message: z.string(),
  })
  .loose();

export const validationErrorSchema = z
  .object({
    error: z.literal('invalid-request'),
    message: z.string(),
    fields: z.array(fieldErrorSchema).meta({ description: 'every bad field, as a dotted path' }),
  })
  .loose();

export const rateLimitedSchema = z.object({
  error: z.literal('rate-limited'),
  message: z.string(),
  retryAfterSeconds: z.number().int().min(1),
});

export const linksSchema = z.object({
  self: z.string(),
  checklist: z.string(),
  audit: z.string(),
  ui: z.string().optional().meta({ description: 'the launch in the Temporal UI, when configured' }),
});

export const launchCreatedSchema = z.object({
  launchId: z.string(),
  created: z.literal(true),
  runId: z.string(),
  links: linksSchema,
});

export const launchExistsSchema = z.object({
  launchId: z.string(),
  created: z.literal(false),
  samePlan: z.boolean().nullable().meta({
    description: 'false: this id already runs another plan, and the plan just sent was NOT applied',
  }),
  runId: z.string(),
  temporalStatus: z.string(),
  startTime: isoTime,
  closeTime: isoTime.nullable(),
  links: linksSchema,
});

/** 409 of `POST /launches`: another launch of the service runs, or the id is not a launch's. */
export const launchConflictSchema = errorSchema.extend({
  error: z.literal('conflict'),
  runningLaunchId: z.string().nullable().optional().meta({
    description:
      'the launch running for this service and production environment; null when the lock is occupied by a workflow that is not a launch',
  }),
  lockWorkflowId: z.string().optional().meta({
    description: 'the Temporal workflow id of the lock: `launch-lock/<service>/<production environment>`',
  }),
  links: z.object({ running: z.string().meta({ description: 'the running launch' }) }).optional(),
});

export const launchListItemSchema = z.object({
  launchId: z.string(),
  service: z.string().nullable(),
  version: z.string().nullable(),
  phase: z.string().nullable(),
  trafficPercent: z.number().nullable(),
  temporalStatus: z.string(),
  startTime: isoTime,
  closeTime: isoTime.nullable(),
  links: z.object({ self: z.string() }),
});
export const launchListSchema = z.object({ items: z.array(launchListItemSchema) });

const thresholdResultSchema = z.object({
  name: z.string(),
  category: z.enum([...THRESHOLD_CATEGORIES, 'canary']),
  verdict: z.enum(['pass', 'breach', 'inconclusive']),
  value: z.number().nullable(),
  reason: z.string().optional(),
});

export const launchStatusSchema = z.object({
  launchId: z.string(),
  service: z.string(),
  version: z.string(),
  previousVersion: z.string(),
  phase: z.enum(KNOWN_PHASES),
  task: z.enum(TASK_IDS).nullable(),
  trafficPercent: z.number(),
  pendingApprovals: z.array(
    z.object({
      signal: z.enum(SIGNAL_NAMES as [string, ...string[]]),
      task: z.enum(TASK_IDS),
      approvers: z.array(z.string()),
      requestedAt: isoTime,
      timeoutAt: isoTime,
      stage: z.number().optional(),
      expects: z.record(z.string(), z.unknown()).meta({ description: 'an example of the payload to send' }),
    }),
  ),
  startedAt: isoTime,
  updatedAt: isoTime,
  activeTaskWorkflowId: z.string().nullable(),
  nextTimer: z.object({ what: z.string(), at: isoTime }).nullable(),
  lastAnalysis: z.object({ at: isoTime, results: z.array(thresholdResultSchema) }).nullable(),
  abort: z
    .object({
      cause: z.string(),
      detail: z.string(),
      by: z.string().optional(),
      task: z.enum(TASK_IDS).optional(),
      at: isoTime,
    })
    .nullable(),
  compensations: z.array(
    z.object({
      step: z.string(),
      status: z.enum(['done', 'failed']),
      attempts: z.number(),
      detail: z.string().optional(),
    }),
  ),
  checklist: checklistSummarySchema,
});

/** A launch whose workflow does not answer queries (e.g. started from the CLI with an invalid plan). */
export const unansweredLaunchSchema = z.object({
  launchId: z.string(),
  phase: z.literal('UNKNOWN'),
  temporalStatus: z.string(),
  startedAt: isoTime,
  closedAt: isoTime.nullable(),
  failure: z.string().nullable(),
  queryError: z.string(),
});

const itemStatus = z.enum(['pending', 'running', 'passed', 'failed', 'skipped']);
export const checklistSchema = z.object({
  launchId: z.string(),
  summary: checklistSummarySchema,
  items: z.array(
    z.object({
      id: z.string(),
      task: z.enum(TASK_IDS),
      section: z.string(),
      text: z.string(),
      verification: z.string(),
      status: itemStatus,
      evidence: z.record(z.string(), z.unknown()).optional(),
      reason: z.string().optional(),
      verifiedAt: isoTime.optional(),
      verifiedBy: z.string().optional(),
      provisional: z.literal(true).optional().meta({
        description:
          'live state read from the running task, replaced by its outcome; never counted as passed',
      }),
    }),
  ),
});

export const auditSchema = z.object({
  launchId: z.string(),
  entries: z.array(
    z.object({
      seq: z.number().int(),
      at: isoTime,
      actor: z.string().meta({ description: 'who acted: through the API, the caller’s token subject' }),
      action: z.string(),
      outcome: z.enum(['accepted', 'refused', 'recorded']),
      identity: z.enum(['claimed', 'verified', 'system']).meta({
        description:
          '`verified`: proven by the API token (a MAC the worker checks) or a one-time approval code; `claimed`: a name typed into a signal; `system`: the engine',
      }),
      via: z.enum(['signal', 'update', 'workflow']),
      task: z.enum(TASK_IDS).optional(),
      reason: z.string().optional(),
      detail: z.record(z.string(), z.unknown()).optional(),
    }),
  ),
});

/** A launch refused the action (not awaited, not allowed, malformed): recorded in its audit log. */
export const signalRefusedSchema = z.object({
  error: z.enum(['invalid-request', 'forbidden', 'conflict']),
  message: z.string(),
  fields: z.array(fieldErrorSchema).optional(),
  accepted: z.literal(false),
  reason: z.string(),
  auditSeq: z.number().int(),
});

export const signalAcceptedSchema = z.object({
  accepted: z.literal(true),
  launchId: z.string(),
  signal: z.enum(SIGNAL_NAMES as [string, ...string[]]),
  auditSeq: z.number().int(),
});

export const freezeAnswerSchema = z.object({
  allowed: z.boolean(),
  launches: z.array(
    z.object({ launchId: z.string(), allowed: z.boolean(), reason: z.string(), auditSeq: z.number().int() }),
  ),
});

export const healthSchema = z.object({ ok: z.boolean(), temporal: z.enum(['reachable', 'unreachable']) });
