/**
 * Reading a launch through Temporal for the routes: one place that knows a launch id is a
 * workflow id, that a workflow of another type is not a launch, and what to say about a launch
 * that cannot answer queries (e.g. started from the CLI with an invalid plan, so it failed before
 * registering any handler).
 */
import {
  WorkflowFailedError,
  WorkflowNotFoundError,
  type Client,
  type WorkflowExecutionDescription,
  type WorkflowHandle,
} from '@temporalio/client';
import type { QueryDefinition } from '@temporalio/common';
import { z } from 'zod';
import { launchIdSchema } from '../domain/plan.js';
import type { ApiContext } from './context.js';
import { notFound } from './errors.js';

export const LAUNCH_WORKFLOW_TYPE = 'launch';

/** `:id` in every `/launches/:id…` route: the plan's launch id shape, so every launch started is addressable. */
export const launchIdParams = z.object({
  id: launchIdSchema.meta({ description: 'the launch id (= its Temporal workflow id)' }),
});

export function launchLinks(ctx: ApiContext, launchId: string) {
  const self = `/launches/${encodeURIComponent(launchId)}`;
  const namespace = ctx.client.options.namespace;
  const ui = ctx.temporalUiUrl
    ? `${ctx.temporalUiUrl.replace(/\/+$/, '')}/namespaces/${encodeURIComponent(namespace)}/workflows/${encodeURIComponent(launchId)}`
    : undefined;
  return { self, checklist: `${self}/checklist`, audit: `${self}/audit`, ...(ui ? { ui } : {}) };
}

/** Describes the launch's workflow; 404 when there is none, or when that id belongs to another workflow type. */
export async function describeLaunch(
  client: Client,
  launchId: string,
): Promise<WorkflowExecutionDescription> {
  const description = await client.workflow.getHandle(launchId).describe();
  if (description.type !== LAUNCH_WORKFLOW_TYPE) throw notFound(`no launch with id "${launchId}"`);
  return description;
}

/** What the API can say about a launch that does not answer queries. */
export type UnansweredLaunch = {
  launchId: string;
  phase: 'UNKNOWN';
  temporalStatus: string;
  startedAt: string;
  closedAt: string | null;
  /** Why the workflow ended (e.g. `invalid launch plan: service: …`), when it has ended. */
  failure: string | null;
  /** Why the query itself failed. */
  queryError: string;
};

export type QueryAnswer<T> = { answered: true; value: T } | { answered: false; launch: UnansweredLaunch };

/** Runs a query; a launch that cannot answer is described instead (still 404 when it does not exist). */
export async function queryLaunch<T>(
  client: Client,
  launchId: string,
  query: QueryDefinition<T, []>,
): Promise<QueryAnswer<T>> {
  const handle = client.workflow.getHandle(launchId);
  try {
    return { answered: true, value: await handle.query(query) };
  } catch (err) {
    if (err instanceof WorkflowNotFoundError) throw err;
    const description = await describeLaunch(client, launchId);
    return {
      answered: false,
      launch: {
        launchId,
        phase: 'UNKNOWN',
        temporalStatus: description.status.name,
        startedAt: description.startTime.toISOString(),
        closedAt: description.closeTime?.toISOString() ?? null,
        failure: description.status.name === 'RUNNING' ? null : await closingFailure(handle),
        queryError: err instanceof Error ? err.message : String(err),
      },
    };
  }
}

/** The failure a closed workflow ended with (its result is already there, so this does not wait). */
async function closingFailure(handle: WorkflowHandle): Promise<string | null> {
  try {
    await handle.result();
    return null;
  } catch (err) {
    if (err instanceof WorkflowFailedError) return err.cause?.message ?? err.message;
    return err instanceof Error ? err.message : String(err);
  }
}

/** True when the launch's workflow exists and has closed (used to tell "ended" from "unknown"). */
export async function launchHasEnded(client: Client, launchId: string): Promise<boolean> {
  try {
    const description = await describeLaunch(client, launchId);
    return description.status.name !== 'RUNNING';
  } catch (err) {
    if (err instanceof WorkflowNotFoundError) return false;
    throw err;
  }
}
