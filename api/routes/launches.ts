/**
 * `POST /launches` starts a launch (idempotent on the launch id: the same id never starts a second
 * launch) and `GET /launches` lists them from Temporal visibility.
 */
import {
  WorkflowExecutionAlreadyStartedError,
  WorkflowIdReusePolicy,
  type WorkflowExecutionInfo,
} from '@temporalio/client';
import type { FastifyPluginAsync } from 'fastify';
import { createHash } from 'node:crypto';
import { z } from 'zod';
import { ACTIVE_PHASES, TERMINAL_PHASES, type Phase } from '../../domain/launch-state.js';
import { checkPlan, launchIdFor, slug, type LaunchPlan } from '../../domain/plan.js';
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

/** Every value the `LaunchPhase` search attribute takes. */
export const KNOWN_PHASES = [
  'STARTING',
  ...ACTIVE_PHASES,
  'ROLLING_BACK',
  ...TERMINAL_PHASES,
] as const satisfies readonly Phase[];

export const listLaunchesQuery = z
  .object({
    service: slug.optional(),
    phase: z.enum(KNOWN_PHASES).optional(),
    limit: z.coerce.number().int().min(1).max(500).default(50),
  })
  // Strict: a misspelt filter (`?phse=TRAFFIC`) must not silently list every launch.
  .strict();

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

/** Fingerprint of a parsed plan (zod emits keys in schema order, so equal plans hash equally). */
export function planFingerprint(plan: LaunchPlan): string {
  return createHash('sha256').update(JSON.stringify(plan)).digest('hex');
}

function launchListQuery(filter: { service?: string | undefined; phase?: string | undefined }): string {
  // Both values were validated (slug / known phase), so they cannot break out of the quotes.
  const clauses = [`WorkflowType = '${LAUNCH_WORKFLOW_TYPE}'`];
  if (filter.service) clauses.push(`LaunchService = '${filter.service}'`);
  if (filter.phase) clauses.push(`LaunchPhase = '${filter.phase}'`);
  return clauses.join(' AND ');
}

function listItem(ctx: ApiContext, e: WorkflowExecutionInfo) {
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

export const launchesRoutes: FastifyPluginAsync<ApiContext> = async (app, ctx) => {
  const { client } = ctx;

  app.post('/launches', async (request, reply) => {
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
    const planSha256 = planFingerprint(plan);

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
        memo: { planSha256 },
      });
      return reply
        .code(201)
        .header('location', links.self)
        .send({ launchId, created: true, runId: handle.firstExecutionRunId, links });
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
        });
    }
  });

  app.get('/launches', async (request) => {
    const filter = parseOr400(listLaunchesQuery, request.query ?? {});
    const items: ReturnType<typeof listItem>[] = [];
    for await (const execution of client.workflow.list({
      query: launchListQuery(filter),
      pageSize: filter.limit,
    })) {
      items.push(listItem(ctx, execution));
      if (items.length >= filter.limit) break;
    }
    return { items };
  });
};
