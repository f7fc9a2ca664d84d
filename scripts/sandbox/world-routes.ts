/** Request handlers of the test world, one per documented API, over the state held by `World`. */
import type { World } from './world.js';
import { prometheusQuery, prometheusRangeQuery, slotKey } from './world-metrics.js';

export type Reply = { status: number; json?: unknown; text?: string; contentType?: string };
type Handler = (world: World, params: string[], query: URLSearchParams, body: unknown) => Reply;
type Route = { method: string; pattern: RegExp; handler: Handler };

const SEG = '([^/]+)';
const CI_HEAD_SHA = '4b825dc642cb6eb9a060e54bf8d69288fbee4904';
const notFound = (what = 'not found'): Reply => ({ status: 404, json: { message: what } });
const badRequest = (message: string): Reply => ({ status: 400, json: { message } });
const isText = (value: unknown): value is string => typeof value === 'string' && value !== '';
const asObject = (value: unknown): Record<string, unknown> =>
  typeof value === 'object' && value !== null ? (value as Record<string, unknown>) : {};

function setTraffic(
  world: World,
  [service = '', environment = '']: string[],
  _q: URLSearchParams,
  body: unknown,
): Reply {
  const percent = asObject(body).canaryPercent;
  if (typeof percent !== 'number' || !Number.isInteger(percent) || percent < 0 || percent > 100) {
    return badRequest('canaryPercent must be an integer from 0 to 100');
  }
  world.setCanaryPercent(service, environment, percent);
  return { status: 200, json: { canaryPercent: percent } };
}

function deploy(world: World, _p: string[], _q: URLSearchParams, body: unknown): Reply {
  const { service, environment, slot, version } = asObject(body);
  if (
    !isText(service) ||
    !isText(environment) ||
    !isText(version) ||
    (slot !== 'canary' && slot !== 'stable')
  ) {
    return badRequest('service, environment, slot (canary|stable) and version are required');
  }
  // Idempotent: redeploying what a slot already runs returns the same deployment.
  const previous = [...world.deployments]
    .reverse()
    .find((d) => slotKey(d.service, d.environment, d.slot) === slotKey(service, environment, slot));
  if (previous?.version === version && world.getVersion(service, environment, slot) === version) {
    return { status: 200, json: { deploymentId: previous.deploymentId } };
  }
  const deploymentId = `deploy-${world.deployments.length + 1}`;
  world.deployments.push({ deploymentId, service, environment, slot, version });
  world.setVersion(service, environment, slot, version);
  return { status: 202, json: { deploymentId } };
}

function listIssues(world: World, [owner, repo]: string[], query: URLSearchParams): Reply {
  const wanted = (query.get('labels') ?? '').split(',').filter(Boolean);
  const state = query.get('state') ?? 'open';
  const found = world.issues.filter(
    (i) =>
      i.owner === owner &&
      i.repo === repo &&
      (state === 'all' || i.state === state) &&
      wanted.every((l) => i.labels.includes(l)),
  );
  return { status: 200, json: found.map((i) => issueJson(world, i)) };
}

function issueJson(world: World, issue: World['issues'][number]) {
  return {
    number: issue.number,
    title: issue.title,
    body: issue.body,
    state: issue.state,
    html_url: `${world.url}/${issue.owner}/${issue.repo}/issues/${issue.number}`,
    assignees: issue.assignees.map((login) => ({ login })),
    labels: issue.labels.map((name) => ({ name })),
  };
}

function createIssue(
  world: World,
  [owner = '', repo = '']: string[],
  _q: URLSearchParams,
  body: unknown,
): Reply {
  const { title, body: text, assignees, labels } = asObject(body);
  if (!isText(title)) return { status: 422, json: { message: 'Validation Failed: title is required' } };
  const strings = (value: unknown) =>
    Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string') : [];
  const issue = {
    number: world.issues.length + 1,
    owner,
    repo,
    title,
    body: typeof text === 'string' ? text : '',
    assignees: strings(assignees),
    labels: strings(labels),
    state: 'open' as const,
  };
  world.issues.push(issue);
  return { status: 201, json: issueJson(world, issue) };
}

const routes: Route[] = [
  { method: 'GET', pattern: /^\/api\/v1\/query$/, handler: prometheusQuery },
  { method: 'GET', pattern: /^\/api\/v1\/query_range$/, handler: prometheusRangeQuery },
  { method: 'POST', pattern: new RegExp(`^/traffic/${SEG}/${SEG}$`), handler: setTraffic },
  {
    method: 'GET',
    pattern: new RegExp(`^/traffic/${SEG}/${SEG}$`),
    handler: (w, [s = '', e = '']) => ({ status: 200, json: { canaryPercent: w.getCanaryPercent(s, e) } }),
  },
  { method: 'POST', pattern: /^\/deploy$/, handler: deploy },
  {
    method: 'GET',
    pattern: new RegExp(`^/deployments/${SEG}/${SEG}/${SEG}$`),
    handler: (w, [s = '', e = '', slot = '']) => {
      const version = w.getVersion(s, e, slot);
      return version === undefined
        ? notFound('nothing deployed in this slot')
        : { status: 200, json: { version } };
    },
  },
  {
    method: 'GET',
    pattern: new RegExp(`^/health/${SEG}/${SEG}/${SEG}$`),
    handler: (w, [s = '', e = '', slot = '']) =>
      w.unhealthySlots.has(slotKey(s, e, slot))
        ? { status: 503, json: { status: 'unhealthy' } }
        : { status: 200, json: { status: 'ok', version: w.getVersion(s, e, slot) ?? null } },
  },
  {
    method: 'GET',
    pattern: new RegExp(`^/config/${SEG}/${SEG}/${SEG}$`),
    handler: (w, [, , kind = '']) =>
      Object.hasOwn(w.configTexts, kind)
        ? { status: 200, text: w.configTexts[kind as keyof World['configTexts']] }
        : notFound(),
  },
  {
    method: 'POST',
    pattern: new RegExp(`^/hooks/slack/${SEG}$`),
    handler: (w, [channel = ''], _q, body) => {
      const { text, blocks } = asObject(body);
      if (!isText(text)) return { status: 400, text: 'no_text' };
      w.notifications.push({ channel, text, blocks });
      return { status: 200, text: 'ok' };
    },
  },
  {
    method: 'GET',
    pattern: new RegExp(`^/repos/${SEG}/${SEG}/actions/runs$`),
    handler: (w, [owner, repo], query) => {
      const run = w.ciRun;
      if (run === null) return { status: 200, json: { total_count: 0, workflow_runs: [] } };
      const workflowRun = {
        id: 1001,
        head_branch: query.get('branch') ?? 'main',
        head_sha: CI_HEAD_SHA,
        ...run,
      };
      return {
        status: 200,
        json: {
          total_count: 1,
          workflow_runs: [{ ...workflowRun, html_url: `${w.url}/${owner}/${repo}/actions/runs/1001` }],
        },
      };
    },
  },
  {
    method: 'GET',
    pattern: /^\/oncalls$/,
    handler: (w, _p, query) => {
      const now = Date.now();
      // As PagerDuty: a user reference (id, display name as summary) unless `include[]=users`
      // asks for the full user object, which carries `name` and `email`.
      const fullUsers = query.getAll('include[]').includes('users');
      const oncalls = query.getAll('schedule_ids[]').flatMap((id) => {
        const user = w.onCallBySchedule.has(id) ? w.onCallBySchedule.get(id) : w.onCallUser;
        if (!user) return [];
        const reference = { id: user.id, summary: user.name, self: `${w.url}/users/${user.id}` };
        return [
          {
            user: fullUsers
              ? { ...reference, type: 'user', name: user.name, email: user.email, time_zone: 'UTC' }
              : { ...reference, type: 'user_reference' },
            schedule: { id, summary: id, type: 'schedule_reference' },
            escalation_level: 1,
            start: new Date(now - 12 * 3_600_000).toISOString(),
            end: new Date(now + 12 * 3_600_000).toISOString(),
          },
        ];
      });
      return { status: 200, json: { oncalls, limit: 25, offset: 0, more: false } };
    },
  },
  {
    method: 'GET',
    pattern: /^\/incidents$/,
    handler: (w, _p, query) => {
      const statuses = query.getAll('statuses[]');
      const services = query.getAll('service_ids[]');
      const incidents = w.incidents
        .filter(
          (i) =>
            (statuses.length === 0 || statuses.includes(i.status)) &&
            (services.length === 0 || services.includes(i.service)),
        )
        .map((i) => ({
          id: i.id,
          title: i.title,
          status: i.status,
          html_url: `${w.url}/incidents/${i.id}`,
          service: { id: i.service },
        }));
      return { status: 200, json: { incidents, limit: 100, offset: 0, more: false } };
    },
  },
  { method: 'GET', pattern: new RegExp(`^/repos/${SEG}/${SEG}/issues$`), handler: listIssues },
  { method: 'POST', pattern: new RegExp(`^/repos/${SEG}/${SEG}/issues$`), handler: createIssue },
  {
    method: 'GET',
    pattern: new RegExp(`^/docs/${SEG}/gates/${SEG}$`),
    handler: (w, [service = '', gate = '']) => {
      const status = w.gateDocs.get(gate);
      if (status === undefined) return notFound('no such gate document');
      return {
        status: 200,
        json: {
          gate,
          status,
          url: `${w.url}/docs/${encodeURIComponent(service)}/${encodeURIComponent(gate)}.html`,
        },
      };
    },
  },
  {
    method: 'GET',
    pattern: /^\/docs\//,
    handler: () => ({
      status: 200,
      contentType: 'text/html; charset=utf-8',
      text: '<!doctype html><title>Launch docs</title><p>ok</p>',
    }),
  },
  {
    method: 'GET',
    pattern: new RegExp(`^/v1/secret/metadata/${SEG}/${SEG}$`),
    handler: (w) =>
      w.secretNames.length === 0
        ? { status: 404, json: { errors: [] } }
        : { status: 200, json: { data: { keys: [...w.secretNames] } } },
  },
  {
    method: 'GET',
    pattern: new RegExp(`^/backups/${SEG}/${SEG}$`),
    handler: (w) => ({
      status: 200,
      json: {
        last_backup_at: w.backup.lastBackupAt,
        last_restore_test: { at: w.backup.lastRestoreTestAt, passed: w.backup.lastRestoreTestPassed },
      },
    }),
  },
  {
    method: 'GET',
    pattern: new RegExp(`^/integrity/${SEG}/${SEG}$`),
    handler: (w) => ({
      status: 200,
      json: {
        acknowledged_writes: w.integrity.acknowledgedWrites,
        verified_writes: w.integrity.verifiedWrites,
        missing: w.integrity.missing,
      },
    }),
  },
];

/** Dispatches one request; unknown paths are 404, a wrong method 405, an unparsable JSON body 400. */
export function routeWorldRequest(world: World, method: string, url: URL, rawBody: string): Reply {
  const matching = routes.filter((route) => route.pattern.test(url.pathname));
  const route = matching.find((candidate) => candidate.method === method);
  if (!route)
    return matching.length > 0 ? { status: 405, json: { message: 'method not allowed' } } : notFound();
  let body: unknown;
  try {
    body = rawBody === '' ? undefined : JSON.parse(rawBody);
  } catch {
    return badRequest('body is not JSON');
  }
  const params = (route.pattern.exec(url.pathname) ?? []).slice(1).map((p) => decodeURIComponent(p ?? ''));
  return route.handler(world, params, url.searchParams, body);
}
