/** Small helpers over `app.inject` for the API tests. */
import type { FastifyInstance } from 'fastify';
import { buildApp } from '../../api/app.js';
import type { AuthConfig } from '../../api/auth.js';
import { TERMINAL_PHASES, type AuditEntry, type LaunchStatus } from '../../domain/launch-state.js';
import { eventually, type Harness } from '../support/temporal.js';

export const TEST_UI_URL = 'http://temporal-ui.test';

export const isTerminal = (s: LaunchStatus) => (TERMINAL_PHASES as readonly string[]).includes(s.phase);

/**
 * The app over the harness's client, with the world's integration names as the configured ones.
 * Without `auth`, dev mode (no tokens needed).
 */
export async function buildTestApp(h: Harness, auth?: AuthConfig, headers: Record<string, string> = {}) {
  const configured = h.world.integrationsConfig() as Record<string, Record<string, unknown> | undefined>;
  const app = buildApp({
    client: h.env.client,
    taskQueue: h.taskQueue,
    temporalUiUrl: TEST_UI_URL,
    integrationNames: (kind) => Object.keys(configured[kind] ?? {}),
    ...(auth ? { auth } : {}),
  });
  await app.ready();
  return apiClient(app, headers);
}
export type TestApp = ReturnType<typeof apiClient>;

export type Reply = { status: number; headers: Record<string, unknown>; body: string; json: any };

/** `defaultHeaders` (e.g. a bearer token) go with every call; a call's own headers win. */
export function apiClient(app: FastifyInstance, defaultHeaders: Record<string, string> = {}) {
  async function call(
    method: 'GET' | 'POST' | 'HEAD',
    url: string,
    payload?: unknown,
    callHeaders: Record<string, string> = {},
  ): Promise<Reply> {
    const headers = { ...defaultHeaders, ...callHeaders };
    const res = await app.inject({
      method,
      url,
      headers: payload === undefined ? headers : { 'content-type': 'application/json', ...headers },
      ...(payload === undefined
        ? {}
        : { payload: typeof payload === 'string' ? payload : JSON.stringify(payload) }),
    });
    let json: unknown = undefined;
    try {
      json = JSON.parse(res.body);
    } catch {
      // Markdown or empty
    }
    return { status: res.statusCode, headers: res.headers, body: res.body, json };
  }
  const get = (url: string, headers?: Record<string, string>) => call('GET', url, undefined, headers);
  const post = (url: string, payload?: unknown, headers?: Record<string, string>) =>
    call('POST', url, payload, headers);

  /** Polls `GET /launches/:id` until the status satisfies `predicate`. */
  const statusWhen = (
    launchId: string,
    predicate: (s: LaunchStatus) => boolean,
    what: string,
    timeoutMs = 60_000,
  ) =>
    eventually(
      async () => {
        const r = await get(`/launches/${launchId}`);
        if (r.status !== 200) throw new Error(`GET status ${r.status}: ${r.body}`);
        return r.json as LaunchStatus;
      },
      predicate,
      what,
      timeoutMs,
    );

  const auditOf = async (launchId: string) =>
    (await get(`/launches/${launchId}/audit`)).json.entries as AuditEntry[];

  return { app, call, get, post, statusWhen, auditOf };
}

export const paths = (reply: Reply): string[] =>
  ((reply.json?.fields ?? []) as { path: string }[]).map((f) => f.path);
