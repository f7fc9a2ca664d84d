/**
 * `POST /launches` starts a launch (idempotent on the launch id: the same id never starts a second
 * launch) and `GET /launches` lists them from Temporal visibility.
 */
import {
  WorkflowExecutionAlreadyStartedError,
  WorkflowIdReusePolicy,
  WorkflowNotFoundError,
  type WorkflowExecutionInfo,
} from '@temporalio/client';
import type { FastifyPluginAsync } from 'fastify';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { checkPlan, launchIdFor, launchPlanSchema, slug, type LaunchPlan } from '../../domain/plan.js';
import { conflictMessage, describeLockHolder, serviceLockWorkflowId } from '../../domain/service-lock.js';
import { INTEGRATION_KINDS } from '../../integrations/types.js';
import type { LaunchInput } from '../../workflows/launch.js';
import {
  LAUNCH_PHASE,
  LAUNCH_SERVICE,
  LAUNCH_TRAFFIC_PERCENT,
  LAUNCH_VERSION,
} from '../../workflows/search-attributes.js';
import type { ApiContext } from '../context.js';
import { conflict, invalidRequest, parseOr400, type FieldError } from '../errors.js';
import { LAUNCH_WORKFLOW_TYPE, launchLinks } from '../launch-handles.js';
import type { Operation } from '../operations.js';
import { readServiceLock } from '../service-lock.js';
import {
  KNOWN_PHASES,
  launchConflictSchema,
  launchCreatedSchema,
  launchExistsSchema,
  launchListItemSchema,
  launchListSchema,
} from '../schemas.js';

export { KNOWN_PHASES };

export const listLaunchesQuery = z
  .object({
    service: slug.optional(),
    phase: z.enum(KNOWN_PHASES).optional(),
    limit: z.coerce.number().int().min(1).max(500).default(50),
  })
  // Strict: a misspelt filter (`?phse=TRAFFIC`) must not silently list every launch.
  .strict();

/** The README's plan: the example in the OpenAPI document. */
const QUICKSTART_PLAN: unknown = JSON.parse(
  readFileSync(new URL('../../examples/quickstart.json', import.meta.url), 'utf8'),
);

const startLaunchOperation: Operation = {
  operationId: 'startLaunch',
  summary: 'Start a launch from a plan',
  description:
    'Idempotent on the launch id (`<service>-<version>` unless the plan sets `launchId`): the same id again returns the existing launch (200, `created: false`) and never starts a second one. One launch per service and production environment runs at a time: while another runs, 409 names it. A 400 names every bad field, including integrations this server has no configuration for.',
  tag: 'launches',
  access: 'operator',
  mutating: true,
  body: {
    schema: launchPlanSchema,
    name: 'LaunchPlan',
    description:
      'A launch plan (`domain/plan.ts`); times may be ISO date-times or `now`, `now+4h`, `now-5m`.',
    examples: { quickstart: { summary: 'examples/quickstart.json', value: QUICKSTART_PLAN } },
  },
  responses: {
    201: {
      description: 'The launch started; `Location` is its URL.',
      schema: launchCreatedSchema,
      name: 'LaunchCreated',
      headers: { Location: { description: 'the launch', schema: { type: 'string' } } },
    },
    200: {
      description:
        'A launch with this id exists already; nothing was started (`samePlan` says whether it runs this plan).',
      schema: launchExistsSchema,
      name: 'LaunchExists',
      headers: { Location: { description: 'the launch', schema: { type: 'string' } } },
    },
    409: {
      description:
        'Another launch of this service runs in the same production environment (`runningLaunchId` names it; one launch per service and production environment at a time), or the id belongs to a workflow that is not a launch. A launch started through Temporal in the same instant can still win the race: this launch then answers 201 and ends `ABORTED` with abort cause `launch-conflict`.',
      schema: launchConflictSchema,
      name: 'LaunchConflict',
    },
  },
};

const listLaunchesOperation: Operation = {
  operationId: 'listLaunches',
  summary: 'List launches (Temporal visibility)',
  tag: 'launches',
  access: 'viewer',
  query: listLaunchesQuery,
  responses: {
    200: { description: 'Launches, newest first.', schema: launchListSchema, name: 'LaunchList' },
  },
};

/** `integrations.<kind>` fields naming an integration this server has no configuration for. */
function unknownIntegrations(
  input: unknown,
  plan: LaunchPlan | null,
  configured: (kind: string) => string[],
): FieldError[] {
  const raw = (input as { integrations?: Record<string, unknown> } | null)?.integrations;
  const errors: FieldError[] = [];
  for (const kind of INTEGRATION_KINDS) {
    // An invalid plan is still checked from its raw input, so one 400 names every bad field.
    const requested = plan
      ? plan.integrations[kind]
      : raw && typeof raw === 'object' && Object.hasOwn(raw, kind)
        ? raw[kind]
        : 'default';
    if (typeof requested !== 'string') continue;
    const names = configured(kind);
    if (!names.includes(requested))
      errors.push({
        path: `integrations.${kind}`,
        message: `no ${kind} integration named "${requested}" is configured (configured: ${names.join(', ') || 'none'})`,
      });
  }
  return errors;
}

/** JSON with every object's keys sorted: equal values, equal text. */
function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) =>
    v && typeof v === 'object' && !Array.isArray(v)
      ? Object.fromEntries(Object.entries(v).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
      : v,
  );
}

/**
 * Fingerprint of a plan as its caller sent it, kept in the launch's memo: the parsed plan (so
 * defaults written out or left out, and key order, make no difference) with its windows as
 * posted, so `now` / `now+4h` posted again later is the same plan although it resolves to other
 * times.
 */
export function planFingerprint(plan: LaunchPlan, posted: unknown): string {
  const sent = posted as Pick<LaunchPlan, 'launchWindow' | 'freezeWindow'>;
  const asSent = { ...plan, launchWindow: sent.launchWindow, freezeWindow: sent.freezeWindow };
  return createHash('sha256').update(canonicalJson(asSent)).digest('hex');
}

function launchListQuery(filter: { service?: string | undefined; phase?: string | undefined }): string {
  // Both values were validated (slug / known phase), so they cannot break out of the quotes.
  const clauses = [`WorkflowType = '${LAUNCH_WORKFLOW_TYPE}'`];
  if (filter.service) clauses.push(`LaunchService = '${filter.service}'`);
  if (filter.phase) clauses.push(`LaunchPhase = '${filter.phase}'`);
  return clauses.join(' AND ');
}

function listItem(ctx: ApiContext, e: WorkflowExecutionInfo): z.infer<typeof launchListItemSchema> {
  const attrs = e.typedSearchAttributes;
  return {
    launchId: e.workflowId,
    service: attrs.get(LAUNCH_SERVICE) ?? null,
    version: attrs.get(LAUNCH_VERSION) ?? null,
    phase: attrs.get(LAUNCH_PHASE) ?? null,
    trafficPercent: attrs.get(LAUNCH_TRAFFIC_PERCENT) ?? null,
    temporalStatus: e.status.name,
    startTime: e.startTime.toISOString(),
    closeTime: e.closeTime?.toISOString() ?? null,
    links: { self: launchLinks(ctx, e.workflowId).self },
  };
}

/**
 * 409 when another launch of the service runs in the same production environment. The engine
 * enforces the rule itself (`workflows/service-lock.ts`); this only answers before starting a
 * launch that would end ABORTED at once. A launch that takes the lock between this read and its
 * own start still gets its 201, and then ends ABORTED (`launch-conflict`) naming the other one.
 */
async function refuseSecondLaunchOfService(ctx: ApiContext, plan: LaunchPlan, launchId: string) {
  const environment = plan.environments.production;
  const lock = await readServiceLock(ctx.client, plan.service, environment);
  if (lock.state === 'free' || lock.state === 'releasing') return;
  if (lock.state === 'held' && lock.holderLaunchId === launchId) return; // a re-post: 200 below
  // A re-post of a launch that exists (e.g. ended) still answers with that launch (200).
  if (await workflowExists(ctx, launchId)) return;
  const lockWorkflowId = serviceLockWorkflowId(plan.service, environment);
  const runningLaunchId = lock.state === 'held' ? lock.holderLaunchId : null;
  throw conflict(conflictMessage(plan.service, environment, describeLockHolder(lock, lockWorkflowId)), {
    runningLaunchId,
    lockWorkflowId,
    ...(runningLaunchId ? { links: { running: launchLinks(ctx, runningLaunchId).self } } : {}),
  });
}

async function workflowExists(ctx: ApiContext, workflowId: string): Promise<boolean> {
  try {
    await ctx.client.workflow.getHandle(workflowId).describe();
    return true;
  } catch (err) {
    if (err instanceof WorkflowNotFoundError) return false;
    throw err;
  }
}

export const launchesRoutes: FastifyPluginAsync<ApiContext> = async (app, ctx) => {
  const { client } = ctx;

  app.post('/launches', { config: { operation: startLaunchOperation } }, async (request, reply) => {
    const checked = checkPlan(request.body);
    const planErrors = checked.ok ? [] : checked.errors;
    const integrationErrors = ctx.integrationNames
      ? unknownIntegrations(request.body, checked.ok ? checked.plan : null, ctx.integrationNames).filter(
          (e) => !planErrors.some((p) => p.path === e.path),
        )
      : [];
    if (!checked.ok || integrationErrors.length > 0)
      throw invalidRequest([...planErrors, ...integrationErrors]);
    const plan = checked.plan;
    const launchId = launchIdFor(plan);
    const links = launchLinks(ctx, launchId);
    const planSha256 = planFingerprint(plan, request.body);
    await refuseSecondLaunchOfService(ctx, plan, launchId);

    try {
      const input: LaunchInput = { plan };
      const handle = await client.workflow.start(LAUNCH_WORKFLOW_TYPE, {
        workflowId: launchId,
        taskQueue: ctx.taskQueue,
        args: [input],
        // Set at start (not only by the workflow) so the launch is listed with its service at once.
        typedSearchAttributes: [
          { key: LAUNCH_SERVICE, value: plan.service },
          { key: LAUNCH_VERSION, value: plan.version },
          { key: LAUNCH_PHASE, value: 'STARTING' },
          { key: LAUNCH_TRAFFIC_PERCENT, value: 0 },
        ],
        // A launch id is used once, even after that launch closed: re-posting a plan never relaunches.
        workflowIdReusePolicy: WorkflowIdReusePolicy.REJECT_DUPLICATE,
        // Lets a repeated POST tell the caller whether the plan it sent is the one running.
        memo: { planSha256, ...(request.caller ? { startedBy: request.caller.subject } : {}) },
      });
      return reply
        .code(201)
        .header('location', links.self)
        .send({
          launchId,
          created: true,
          runId: handle.firstExecutionRunId,
          links,
        } satisfies z.infer<typeof launchCreatedSchema>);
    } catch (err) {
      if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
      const existing = await client.workflow.getHandle(launchId).describe();
      if (existing.type !== LAUNCH_WORKFLOW_TYPE)
        throw conflict(`id "${launchId}" is taken by a ${existing.type} workflow; set another launchId`);
      const runningSha = existing.memo?.planSha256;
      return reply
        .code(200)
        .header('location', links.self)
        .send({
          launchId,
          created: false,
          // false: this id already runs another plan, and the plan just sent was NOT applied.
          samePlan: typeof runningSha === 'string' ? runningSha === planSha256 : null,
          runId: existing.runId,
          temporalStatus: existing.status.name,
          startTime: existing.startTime.toISOString(),
          closeTime: existing.closeTime?.toISOString() ?? null,
          links,
        } satisfies z.infer<typeof launchExistsSchema>);
    }
  });

  app.get('/launches', { config: { operation: listLaunchesOperation } }, async (request) => {
    const filter = parseOr400(listLaunchesQuery, request.query ?? {});
    const items: z.infer<typeof launchListItemSchema>[] = [];
    for await (const execution of client.workflow.list({
      query: launchListQuery(filter),
      pageSize: filter.limit,
    })) {
      items.push(listItem(ctx, execution));
      if (items.length >= filter.limit) break;
    }
    return { items } satisfies z.infer<typeof launchListSchema>;
  });
};
