/**
 * The REST API against a real Temporal dev server and worker, through `app.inject`. Launches are
 * aborted as soon as a test has what it needs, to keep the worker free and the file fast.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { Client, Connection } from '@temporalio/client';
import { buildApp } from '../../api/app.js';
import { startApi } from '../../api/server.js';
import { fastPlan } from '../support/plans.js';
import { eventually, startHarness, type Harness } from '../support/temporal.js';
import { buildTestApp, isTerminal, paths, TEST_UI_URL, type TestApp } from './api-client.js';

let h: Harness;
let api: TestApp;

before(async () => {
  h = await startHarness();
  api = await buildTestApp(h);
});
after(async () => {
  await api?.app.close();
  await h?.stop();
});

test('healthz: 200 when Temporal answers, 503 when it does not; unknown routes are JSON 404s', async () => {
  const health = await api.get('/healthz');
  assert.equal(health.status, 200);
  assert.deepEqual(health.json, { ok: true, temporal: 'reachable' });
  const missing = await api.get('/nowhere');
  assert.equal(missing.status, 404);
  assert.equal(missing.json.error, 'not-found');

  // The same app over a real socket, as `npm start` runs it.
  const server = await startApi({ client: h.env.client, taskQueue: h.taskQueue, port: 0, logger: false });
  try {
    assert.match(server.url, /^http:\/\/127\.0\.0\.1:\d+$/);
    const res = await fetch(`${server.url}/healthz`);
    assert.equal(res.status, 200);
    assert.deepEqual(await res.json(), { ok: true, temporal: 'reachable' });
  } finally {
    await server.close();
  }

  // Nothing listens on port 1: Temporal unreachable → 503, so a load balancer stops sending traffic.
  const connection = Connection.lazy({ address: '127.0.0.1:1' });
  const orphan = buildApp({ client: new Client({ connection }), taskQueue: 'none' });
  try {
    const down = await orphan.inject({ method: 'GET', url: '/healthz' });
    assert.equal(down.statusCode, 503, down.body);
    assert.deepEqual(down.json(), { ok: false, temporal: 'unreachable' });
  } finally {
    await orphan.close();
    await connection.close();
  }
});

test('a bad plan is a 400 naming every bad field, and starts nothing', async () => {
  // Shape errors: every missing/invalid field, and the unconfigured integration, in one answer.
  const { service: _omitted, ...shapeless } = fastPlan({
    launchId: 'api-bad-plan',
    approvals: {
      goNoGo: [],
      rollbackAuthority: ['sre-sam'],
      freezeOverride: ['cab-carol'],
      metricsReview: ['alice'],
    },
    integrations: { tracker: 'jira-nowhere' },
  });
  const shape = await api.post('/launches', shapeless);
  assert.equal(shape.status, 400, shape.body);
  assert.equal(shape.json.error, 'invalid-request');
  assert.deepEqual(paths(shape).sort(), ['approvals.goNoGo', 'integrations.tracker', 'service']);
  assert.match(shape.json.message, /service/);

  // Rule errors (checked once the shape is right): the ramp and the freeze window.
  const now = Date.now();
  const ruleBreaker = fastPlan({
    launchId: 'api-bad-plan',
    ramp: [
      { percent: 5, observationWindow: '2s' },
      { percent: 10, observationWindow: '2s' },
      { percent: 50, observationWindow: '2s' },
      { percent: 100, observationWindow: '2s' },
    ],
    // Ends before the launch window does.
    freezeWindow: { start: new Date(now - 120_000).toISOString(), end: new Date(now + 60_000).toISOString() },
  });
  const rules = await api.post('/launches', ruleBreaker);
  assert.equal(rules.status, 400, rules.body);
  for (const field of ['ramp.0.percent', 'freezeWindow.end'])
    assert.ok(paths(rules).includes(field), `${field} in ${rules.body}`);
  await assert.rejects(h.env.client.workflow.getHandle('api-bad-plan').describe(), /not found/i);
});

test('a valid plan naming an unconfigured integration is a 400 on that field', async () => {
  const res = await api.post(
    '/launches',
    fastPlan({ launchId: 'api-unknown-integration', integrations: { metrics: 'thanos-eu' } }),
  );
  assert.equal(res.status, 400, res.body);
  assert.deepEqual(paths(res), ['integrations.metrics']);
});

test('bodies that are not a JSON plan are 400 / 413, not 500', async () => {
  const broken = await api.post('/launches', '{"service": "checkout",');
  assert.equal(broken.status, 400, broken.body);
  assert.equal(broken.json.error, 'invalid-request');
  const missing = await api.post('/launches');
  assert.equal(missing.status, 400, missing.body);
  assert.deepEqual(paths(missing), ['(root)']);
  const huge = await api.post('/launches', { padding: 'x'.repeat(300 * 1024) });
  assert.equal(huge.status, 413, huge.body);
});

test('start → 201 with Location; the same launch id again → 200 created:false and still one workflow', async () => {
  const id = 'api-start-1';
  const plan = fastPlan({ launchId: id, service: 'api-start' });
  const created = await api.post('/launches', plan);
  assert.equal(created.status, 201, created.body);
  assert.equal(created.headers.location, `/launches/${id}`);
  assert.equal(created.json.created, true);
  assert.deepEqual(created.json.links, {
    self: `/launches/${id}`,
    checklist: `/launches/${id}/checklist`,
    audit: `/launches/${id}/audit`,
    ui: `${TEST_UI_URL}/namespaces/default/workflows/${id}`,
  });

  const again = await api.post('/launches', { ...plan, version: '2.0.1' });
  assert.equal(again.status, 200, again.body);
  assert.equal(again.json.created, false);
  assert.equal(again.json.runId, created.json.runId);
  assert.equal(again.json.samePlan, false, 'a changed plan is reported as not applied');
  const reversedKeys = Object.fromEntries(Object.entries(plan).reverse());
  const same = await api.post('/launches', reversedKeys);
  assert.equal(same.status, 200, same.body);
  assert.equal(same.json.samePlan, true);
  assert.equal((await h.env.client.workflow.getHandle(id).describe()).runId, created.json.runId);
  const count = await eventually(
    () => h.env.client.workflow.count(`WorkflowId = '${id}'`),
    (c) => c.count >= 1,
    'visibility',
  );
  assert.equal(count.count, 1);

  const status = await api.get(`/launches/${id}`);
  assert.equal(status.status, 200, status.body);
  assert.equal(status.json.launchId, id);
  assert.equal(status.json.version, '2.0.0', 'the first plan is the one running');

  const listed = await eventually(
    () => api.get('/launches?service=api-start'),
    (r) => r.status === 200 && r.json.items.length === 1,
    'the launch in the filtered list',
  );
  assert.equal(listed.json.items[0].launchId, id);
  assert.equal(listed.json.items[0].service, 'api-start');
  assert.equal(listed.json.items[0].temporalStatus, 'RUNNING');
  const other = await api.get('/launches?service=nothing-here&limit=5');
  assert.deepEqual(other.json.items, []);

  const checklist = await api.get(`/launches/${id}/checklist`);
  assert.equal(checklist.status, 200);
  assert.equal(checklist.json.items.length, 60);
  assert.equal(checklist.json.summary.total, 60);
  const markdown = await api.get(`/launches/${id}/checklist`, { accept: 'text/markdown' });
  assert.equal(markdown.headers['content-type'], 'text/markdown; charset=utf-8');
  assert.ok(markdown.body.startsWith('# Task List v2'), markdown.body.slice(0, 80));
  const preferJson = await api.get(`/launches/${id}/checklist`, {
    accept: 'text/markdown;q=0.5, application/json',
  });
  assert.equal(preferJson.json.items.length, 60);

  assert.equal((await api.post(`/launches/${id}/abort`, { by: 'sre-sam', reason: 'test done' })).status, 202);
  await api.statusWhen(id, isTerminal, 'the launch to end');
});

test('list and id inputs are validated before they reach a visibility query', async () => {
  for (const url of [
    "/launches?service=x'%20OR%20'1'='1",
    '/launches?phase=DONE',
    '/launches?limit=501',
    '/launches?limit=0',
    '/launches?phse=TRAFFIC',
  ]) {
    const res = await api.get(url);
    assert.equal(res.status, 400, `${url}: ${res.body}`);
    assert.equal(res.json.error, 'invalid-request');
  }
  const badId = await api.get('/launches/Not_A%20Slug');
  assert.equal(badId.status, 400);
  assert.deepEqual(paths(badId), ['id']);
  for (const url of [
    '/launches/no-such-launch',
    '/launches/no-such-launch/checklist',
    '/launches/no-such-launch/audit',
  ]) {
    const res = await api.get(url);
    assert.equal(res.status, 404, `${url}: ${res.body}`);
    assert.equal(res.json.error, 'not-found');
  }
  const signal = await api.post('/launches/no-such-launch/signals/goNoGo', { by: 'alice', decision: 'go' });
  assert.equal(signal.status, 404, signal.body);
});

test('refused signals map to 409 / 403 / 400 and are audited; an operator abort ends the launch ABORTED', async () => {
  const id = 'api-refusals';
  assert.equal(
    (await api.post('/launches', fastPlan({ launchId: id, service: 'api-refusals' }))).status,
    201,
  );

  // No metrics review is ever awaited during readiness.
  const notAwaited = await api.post(`/launches/${id}/signals/metricsReview`, {
    by: 'alice',
    stage: 10,
    verdict: 'proceed',
  });
  assert.equal(notAwaited.status, 409, notAwaited.body);
  assert.equal(notAwaited.json.accepted, false);
  const outsider = await api.post(`/launches/${id}/abort`, { by: 'mallory', reason: 'because' });
  assert.equal(outsider.status, 403, outsider.body);
  const malformed = await api.post(`/launches/${id}/signals/goNoGo`, { decision: 'maybe' });
  assert.equal(malformed.status, 400, malformed.body);
  assert.deepEqual(paths(malformed).sort(), ['by', 'decision']);
  const unknown = await api.post(`/launches/${id}/signals/launchNow`, { by: 'alice' });
  assert.equal(unknown.status, 404);
  assert.match(unknown.json.message, /goNoGo/);

  const refused = (await api.auditOf(id)).filter((e) => e.outcome === 'refused');
  for (const reply of [notAwaited, outsider, malformed]) {
    assert.ok(
      refused.some((e) => e.seq === reply.json.auditSeq),
      `audit entry ${reply.json.auditSeq} refused`,
    );
  }
  assert.deepEqual(
    refused.map((e) => e.action),
    ['metricsReview', 'abort', 'goNoGo'],
  );

  const abort = await api.post(`/launches/${id}/abort`, { by: 'sre-sam', reason: 'change of plan' });
  assert.equal(abort.status, 202, abort.body);
  assert.equal(abort.json.accepted, true);
  const ended = await api.statusWhen(id, isTerminal, 'the launch to end');
  assert.equal(ended.phase, 'ABORTED');
  assert.equal(ended.abort?.cause, 'operator-abort');
  await h.env.client.workflow.getHandle(id).result();

  const late = await api.post(`/launches/${id}/signals/goNoGo`, { by: 'alice', decision: 'go' });
  assert.equal(late.status, 409, late.body);
  assert.match(late.json.message, /has ended/);
});

test('goNoGo accepted once awaited; the freeze gate answers 423 until cab-carol overrides that change', async () => {
  const id = 'api-freeze-1';
  const service = 'api-freeze';
  assert.equal((await api.post('/launches', fastPlan({ launchId: id, service }))).status, 201);
  await api.statusWhen(
    id,
    (s) => s.pendingApprovals.some((p) => p.signal === 'goNoGo'),
    'goNoGo to be awaited',
  );
  const intruder = await api.post(`/launches/${id}/signals/goNoGo`, { by: 'mallory', decision: 'go' });
  assert.equal(intruder.status, 403, intruder.body);
  const go = await api.post(`/launches/${id}/signals/goNoGo`, {
    by: 'alice',
    decision: 'go',
    comment: 'ready',
  });
  assert.equal(go.status, 202, go.body);
  assert.equal(typeof go.json.auditSeq, 'number');
  await api.statusWhen(id, (s) => !['STARTING', 'READINESS'].includes(s.phase), 'lockdown to start');

  const change = { service, by: 'ci-bot', change: 'chg-42', reason: 'rotate a key' };
  const locked = await eventually(
    () => api.post('/freeze/requests', change),
    (r) => r.status === 423,
    'the freeze gate to refuse',
  );
  assert.equal(locked.json.allowed, false);
  assert.deepEqual(
    locked.json.launches.map((l: { launchId: string }) => l.launchId),
    [id],
  );

  const override = await api.post(`/launches/${id}/signals/freezeOverride`, {
    by: 'cab-carol',
    reason: 'security fix',
    change: 'chg-42',
  });
  assert.equal(override.status, 202, override.body);
  const allowed = await api.post('/freeze/requests', change);
  assert.equal(allowed.status, 200, allowed.body);
  assert.equal(allowed.json.allowed, true);
  assert.equal(
    (await api.post('/freeze/requests', change)).status,
    423,
    'an override allows the change once',
  );
  assert.equal((await api.post('/freeze/requests', { service, change: 'x' })).status, 400);

  assert.equal((await api.post(`/launches/${id}/abort`, { by: 'sre-sam', reason: 'test done' })).status, 202);
  await api.statusWhen(id, isTerminal, 'the launch to end');
  const lifted = await eventually(
    () => api.post('/freeze/requests', change),
    (r) => r.status === 200,
    'the freeze to lift',
  );
  assert.deepEqual(lifted.json, { allowed: true, launches: [] });
  const audit = await api.auditOf(id);
  assert.ok(
    audit.some(
      (e) =>
        e.action === 'configChangeRequest' &&
        e.outcome === 'refused' &&
        (e.detail as { change?: string })?.change === 'chg-42',
    ),
  );
});

test('a launch started outside the API with an invalid plan is described, not a 500', async () => {
  const id = 'api-cli-invalid';
  const handle = await h.env.client.workflow.start('launch', {
    workflowId: id,
    taskQueue: h.taskQueue,
    args: [{ plan: { service: 'cli' } }],
  });
  await assert.rejects(handle.result());
  const status = await api.get(`/launches/${id}`);
  assert.equal(status.status, 200, status.body);
  assert.equal(status.json.phase, 'UNKNOWN');
  assert.equal(status.json.temporalStatus, 'FAILED');
  assert.match(status.json.failure, /invalid launch plan/);
  const checklist = await api.get(`/launches/${id}/checklist`);
  assert.equal(checklist.status, 409, checklist.body);
  const abort = await api.post(`/launches/${id}/abort`, { by: 'sre-sam', reason: 'cleanup' });
  assert.equal(abort.status, 409, abort.body);
});

test('safety rules of the plan are 400s naming the field: staging is not production, times and durations bounded', async () => {
  const cases: [string, unknown, string][] = [
    [
      'the drill would deploy the known-bad build to production',
      fastPlan({
        launchId: 'api-rules-1',
        environments: { production: 'production', staging: 'production' },
      }),
      'environments.staging',
    ],
    // Was a 500 (a RangeError out of parsing).
    [
      'a window ending in 273,000 years',
      fastPlan({ launchId: 'api-rules-2', launchWindow: { start: 'now', end: 'now+99999999d' } }),
      'launchWindow.end',
    ],
    [
      'a monitoring window of 2,700 years',
      fastPlan({
        launchId: 'api-rules-3',
        monitoring: { window: '999999999d', interval: '1s', onCallSchedule: 'checkout-primary' },
      }),
      'monitoring.window',
    ],
  ];
  for (const [what, plan, field] of cases) {
    const res = await api.post('/launches', plan);
    assert.equal(res.status, 400, `${what}: ${res.body}`);
    assert.ok(paths(res).includes(field), `${what}: ${field} in ${res.body}`);
  }
  for (const id of ['api-rules-1', 'api-rules-2', 'api-rules-3'])
    await assert.rejects(h.env.client.workflow.getHandle(id).describe(), /not found/i);
});

test('a launch whose derived id is longer than 63 characters can be read and aborted through the API', async () => {
  const service = `api-long-${'s'.repeat(50)}`;
  const version = `2.0.0-${'r'.repeat(50)}`;
  const plan = fastPlan({ service, version, launchId: undefined });
  const created = await api.post('/launches', plan);
  assert.equal(created.status, 201, created.body);
  const id = created.json.launchId as string;
  assert.equal(id, `${service}-${version}`);
  assert.ok(id.length > 63, `${id.length} characters`);
  const status = await api.statusWhen(id, (s) => s.phase === 'READINESS', 'readiness');
  assert.equal(status.launchId, id);
  assert.equal((await api.get(`/launches/${id}/checklist`)).status, 200);
  assert.equal((await api.get(`/launches/${id}/audit`)).status, 200);
  const abort = await api.post(`/launches/${id}/abort`, { by: 'sre-sam', reason: 'test done' });
  assert.equal(abort.status, 202, abort.body);
  const ended = await api.statusWhen(id, isTerminal, 'the launch to end');
  assert.equal(ended.phase, 'ABORTED');
  // Longer than any launch id can be: a 400 naming the id, never a 404 or 414.
  const tooLong = await api.get(`/launches/${'x'.repeat(129)}`);
  assert.equal(tooLong.status, 400, tooLong.body);
  assert.deepEqual(paths(tooLong), ['id']);
});

test('re-posting a plan with relative times says samePlan: true; a different plan says false', async () => {
  const id = 'api-relative-repost';
  const plan = fastPlan({
    launchId: id,
    service: 'api-relative',
    launchWindow: { start: 'now', end: 'now+4h' },
    freezeWindow: { start: 'now-5m', end: 'now+1d' },
  });
  const created = await api.post('/launches', plan);
  assert.equal(created.status, 201, created.body);
  // `now` resolves to a later time on every post: the plan as sent is the same.
  await new Promise((resolve) => setTimeout(resolve, 20));
  const again = await api.post('/launches', plan);
  assert.equal(again.status, 200, again.body);
  assert.equal(again.json.samePlan, true, 'the same text');
  const reordered = await api.post('/launches', Object.fromEntries(Object.entries(plan).reverse()));
  assert.equal(reordered.json.samePlan, true, 'key order is not a difference');
  const defaultsWritten = await api.post('/launches', { ...plan, integrations: {} });
  assert.equal(defaultsWritten.json.samePlan, true, 'defaults written out are the same plan');
  const longer = await api.post('/launches', { ...plan, launchWindow: { start: 'now', end: 'now+5h' } });
  assert.equal(longer.status, 200, longer.body);
  assert.equal(longer.json.samePlan, false, 'another window');
  const absolute = await api.post('/launches', {
    ...plan,
    launchWindow: {
      start: new Date().toISOString(),
      end: new Date(Date.now() + 4 * 3_600_000).toISOString(),
    },
  });
  assert.equal(absolute.json.samePlan, false, 'absolute times are another plan text');
  assert.equal((await api.post(`/launches/${id}/abort`, { by: 'sre-sam', reason: 'test done' })).status, 202);
  await api.statusWhen(id, isTerminal, 'the launch to end');
});

test('one launch per service and production environment: a second is a 409 naming the running one; re-posts still answer 200', async () => {
  const service = 'api-lock';
  const first = fastPlan({ launchId: 'api-lock-a', service });
  const second = fastPlan({ launchId: 'api-lock-b', service, version: '2.0.1' });
  assert.equal((await api.post('/launches', first)).status, 201);
  await api.statusWhen(
    'api-lock-a',
    (s) => s.pendingApprovals.some((p) => p.signal === 'goNoGo'),
    'the first launch to hold its lock',
  );

  const refused = await api.post('/launches', second);
  assert.equal(refused.status, 409, refused.body);
  assert.equal(refused.json.error, 'conflict');
  assert.equal(refused.json.runningLaunchId, 'api-lock-a');
  assert.equal(refused.json.lockWorkflowId, 'launch-lock/api-lock/production');
  assert.match(refused.json.message, /api-lock-a/);
  await assert.rejects(h.env.client.workflow.getHandle('api-lock-b').describe(), /not found/i);

  // The running launch's own id keeps its idempotent answer.
  const again = await api.post('/launches', first);
  assert.equal(again.status, 200, again.body);
  assert.equal(again.json.samePlan, true);

  assert.equal(
    (await api.post('/launches/api-lock-a/abort', { by: 'sre-sam', reason: 'test done' })).status,
    202,
  );
  await api.statusWhen('api-lock-a', isTerminal, 'the first launch to end');
  await h.env.client.workflow.getHandle('api-lock-a').result();
  const now = await api.post('/launches', second);
  assert.equal(now.status, 201, now.body);
  await api.statusWhen(
    'api-lock-b',
    (s) => s.pendingApprovals.some((p) => p.signal === 'goNoGo'),
    'the second launch to hold its lock',
  );
  // An ended launch's id re-posted while another launch of its service runs: still that launch (200).
  const ended = await api.post('/launches', first);
  assert.equal(ended.status, 200, ended.body);
  assert.equal(ended.json.temporalStatus, 'COMPLETED');

  assert.equal(
    (await api.post('/launches/api-lock-b/abort', { by: 'sre-sam', reason: 'test done' })).status,
    202,
  );
  await api.statusWhen('api-lock-b', isTerminal, 'the second launch to end');
});
