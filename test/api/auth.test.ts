/**
 * Authentication and authorization of the API (DESIGN §10): bearer tokens with roles, checked on
 * every route the OpenAPI document lists (so a new route cannot be forgotten), the token's subject
 * as `by`, constant-time comparison, rate limits, dev mode and the refusal to run open in
 * production. Launch flows use a real Temporal dev server and worker.
 */
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, mock, test } from 'node:test';
import { Client, Connection } from '@temporalio/client';
import { buildApp } from '../../api/app.js';
import {
  bearerToken,
  constantTimeEqual,
  DEV_MODE_HEADER,
  hashToken,
  loadAuthFromEnv,
  resolveAuth,
  ROLES,
  rolesAllow,
  TokenStore,
  type AuthConfig,
  type Role,
} from '../../api/auth.js';
import { parseRateLimit, RateLimiter } from '../../api/rate-limit.js';
import { startApi } from '../../api/server.js';
import { fastPlan } from '../support/plans.js';
import { eventually, startHarness, type Harness } from '../support/temporal.js';
import { apiClient, buildTestApp, isTerminal, type TestApp } from './api-client.js';

/** Plain tokens as callers hold them; the server keeps only their SHA-256. */
const TOKEN = {
  operator: 'operator-token-sre-sam-0123456789abcdef',
  ci: 'operator-token-ci-bot-0123456789abcdef00',
  approver: 'approver-token-alice-0123456789abcdef00',
  viewer: 'viewer-token-victor-0123456789abcdef0000',
} as const;
const SUBJECT = { operator: 'sre-sam', ci: 'ci-bot', approver: 'alice', viewer: 'victor' } as const;
const ROLE_OF = { operator: 'operator', ci: 'operator', approver: 'approver', viewer: 'viewer' } as const;
type Who = keyof typeof TOKEN;

const AUTH: AuthConfig = {
  tokens: (Object.keys(TOKEN) as Who[]).map((who) => ({
    subject: SUBJECT[who],
    roles: [ROLE_OF[who]],
    tokenSha256: hashToken(TOKEN[who]),
  })),
};
const bearer = (who: Who) => ({ authorization: `Bearer ${TOKEN[who]}` });
/** One caller holding each role. */
const HOLDER: Record<Role, Who> = { operator: 'operator', approver: 'approver', viewer: 'viewer' };
/** The documented policy, stated here independently of the code under test. */
const GRANTS: Record<Role, Role[]> = {
  operator: ['operator', 'viewer'],
  approver: ['approver', 'viewer'],
  viewer: ['viewer'],
};

let h: Harness;
let api: TestApp;
let offline: Connection;
const offlineClient = () => new Client({ connection: offline });

before(async () => {
  h = await startHarness();
  api = await buildTestApp(h, AUTH);
  // For checks that never reach Temporal: nothing listens on port 1.
  offline = Connection.lazy({ address: '127.0.0.1:1' });
});
after(async () => {
  await api?.app.close();
  await offline?.close();
  await h?.stop();
});

test('tokens are compared in constant time: equal, unequal and different lengths', () => {
  const a = crypto.createHash('sha256').update('one').digest();
  const b = crypto.createHash('sha256').update('two').digest();
  assert.equal(constantTimeEqual(a, Buffer.from(a)), true);
  assert.equal(constantTimeEqual(a, b), false);
  assert.equal(constantTimeEqual(Buffer.from('short'), Buffer.from('longer one')), false);
  assert.equal(constantTimeEqual(Buffer.alloc(0), Buffer.alloc(0)), true);

  // The lookup hashes the presented token and compares it with every stored digest through
  // crypto.timingSafeEqual, with no early exit on a match.
  const spy = mock.method(crypto, 'timingSafeEqual');
  try {
    const store = new TokenStore(AUTH.tokens);
    assert.equal(store.find(TOKEN.operator)?.subject, 'sre-sam');
    assert.equal(spy.mock.callCount(), AUTH.tokens.length);
    assert.equal(store.find('not-a-token'), null);
    assert.equal(spy.mock.callCount(), 2 * AUTH.tokens.length);
    for (const call of spy.mock.calls) for (const arg of call.arguments) assert.equal(arg.byteLength, 32);
  } finally {
    spy.mock.restore();
  }
  assert.equal(bearerToken(`Bearer ${TOKEN.viewer}`), TOKEN.viewer);
  assert.equal(bearerToken(`bearer ${TOKEN.viewer}`), TOKEN.viewer);
  assert.equal(bearerToken(`Basic ${TOKEN.viewer}`), null);
  assert.equal(bearerToken('Bearer'), null);
  assert.equal(bearerToken(undefined), null);
});

test('roles: operator and approver can read; neither implies the other', () => {
  assert.ok(rolesAllow(['operator'], 'viewer'));
  assert.ok(rolesAllow(['approver'], 'viewer'));
  assert.ok(!rolesAllow(['operator'], 'approver'));
  assert.ok(!rolesAllow(['approver'], 'operator'));
  assert.ok(!rolesAllow(['viewer'], 'operator'));
  assert.ok(rolesAllow(['viewer', 'approver'], 'approver'));
});

test('every protected route in the OpenAPI document: 401 without a token, 403 for the wrong role', async () => {
  const spec = (await api.get('/openapi.json', {})).json as {
    paths: Record<string, Record<string, { security: { bearerAuth?: string[] }[] }>>;
  };
  const sample: Record<string, string> = { id: 'auth-nobody', name: 'goNoGo', asset: 'index.css' };
  let protectedOps = 0;
  let mutatingOps = 0;
  for (const [path, item] of Object.entries(spec.paths)) {
    for (const [lower, op] of Object.entries(item)) {
      const method = lower.toUpperCase() as 'GET' | 'POST';
      const url = path.replace(/\{(\w+)\}/g, (_, name: string) => sample[name] ?? 'x');
      const where = `${method} ${path}`;
      // An empty body: enough to get past authentication to the route's own checks.
      const send = (headers: Record<string, string>) =>
        api.call(method, url, method === 'POST' ? {} : undefined, headers);

      if (op.security.length === 0) {
        // Only reads may be public: a route that changes anything always needs a token.
        assert.equal(method, 'GET', `${where} is public, so it must not change state`);
        const open = await send({});
        assert.notEqual(open.status, 401, `${where} is public`);
        continue;
      }
      protectedOps += 1;
      if (method === 'POST') mutatingOps += 1;
      const needed = op.security[0]?.bearerAuth?.[0] as Role;
      assert.ok(ROLES.includes(needed), `${where} names its role`);

      const none = await send({});
      assert.equal(none.status, 401, `${where} without a token: ${none.body}`);
      assert.equal(none.json.error, 'unauthorized');
      assert.match(String(none.headers['www-authenticate']), /^Bearer realm="launch-control"$/);
      const forged = await send({ authorization: 'Bearer not-a-token-anyone-was-given-000000' });
      assert.equal(forged.status, 401, `${where} with an unknown token`);
      assert.match(String(forged.headers['www-authenticate']), /^Bearer .*error="invalid_token"/);
      const basic = await send({ authorization: `Basic ${Buffer.from('a:b').toString('base64')}` });
      assert.equal(basic.status, 401, `${where} with Basic auth`);
      if (method === 'GET') {
        const head = await api.call('HEAD', url, undefined, {});
        assert.equal(head.status, 401, `HEAD ${path} without a token`);
      }

      for (const role of ROLES) {
        const res = await send(bearer(HOLDER[role]));
        if (GRANTS[role].includes(needed)) {
          assert.ok(![401, 403, 429].includes(res.status), `${where} as ${role}: ${res.status} ${res.body}`);
          assert.equal(res.headers[DEV_MODE_HEADER], undefined);
        } else {
          assert.equal(res.status, 403, `${where} as ${role}: ${res.body}`);
          assert.equal(res.json.error, 'forbidden');
          assert.match(res.json.message, new RegExp(`needs the ${needed} role`));
        }
      }
    }
  }
  assert.ok(protectedOps >= 8, `${protectedOps} protected operations`);
  assert.equal(mutatingOps, 5, 'start, signals, the abort signal, abort, freeze requests');

  // Unknown routes: no token, no answer about what exists.
  assert.equal((await api.get('/nowhere', {})).status, 401);
  assert.equal((await api.get('/nowhere', bearer('viewer'))).status, 404);
  assert.equal((await api.get('/healthz', {})).status, 200);
});

test("the token's subject is `by`: an approver's go is audited as theirs; a body cannot act as someone else", async () => {
  const id = 'auth-flow';
  const service = 'auth-flow';
  const viewer = apiClient(api.app, bearer('viewer'));
  const started = await api.post('/launches', fastPlan({ launchId: id, service }), bearer('operator'));
  assert.equal(started.status, 201, started.body);
  const description = await h.env.client.workflow.getHandle(id).describe();
  assert.equal(description.memo?.startedBy, 'sre-sam', 'who started it is kept with the launch');
  await viewer.statusWhen(
    id,
    (s) => s.pendingApprovals.some((p) => p.signal === 'goNoGo'),
    'goNoGo to be awaited',
  );
  const auditLength = (await viewer.auditOf(id)).length;

  // alice's token, bob's name: refused before it reaches the launch.
  const impersonation = await api.post(
    `/launches/${id}/signals/goNoGo`,
    { by: 'bob', decision: 'go' },
    bearer('approver'),
  );
  assert.equal(impersonation.status, 403, impersonation.body);
  assert.equal(impersonation.json.error, 'forbidden');
  assert.match(impersonation.json.message, /cannot act as someone else/);
  assert.deepEqual(
    impersonation.json.fields.map((f: { path: string }) => f.path),
    ['by'],
  );
  // A body that is not an object cannot say who acts: refused before the launch too.
  const notObject = await api.post(`/launches/${id}/signals/goNoGo`, '"go"', bearer('approver'));
  assert.equal(notObject.status, 400, notObject.body);
  // Neither a viewer nor an operator holds the approver role.
  for (const who of ['viewer', 'operator'] as const) {
    const res = await api.post(`/launches/${id}/signals/goNoGo`, { decision: 'go' }, bearer(who));
    assert.equal(res.status, 403, `${who}: ${res.body}`);
  }
  assert.equal((await viewer.auditOf(id)).length, auditLength, 'nothing reached the launch');

  // No `by`: alice's token makes it alice's decision.
  const go = await api.post(
    `/launches/${id}/signals/goNoGo`,
    { decision: 'go', comment: 'checked' },
    bearer('approver'),
  );
  assert.equal(go.status, 202, go.body);
  const entry = (await viewer.auditOf(id)).find((e) => e.seq === go.json.auditSeq);
  assert.equal(entry?.actor, 'alice');
  assert.equal(entry?.action, 'goNoGo');
  assert.equal(entry?.outcome, 'accepted');

  // The freeze gate: the CI token's subject is the requester.
  const change = { service, change: 'chg-7', reason: 'rotate a key' };
  const locked = await eventually(
    () => api.post('/freeze/requests', change, bearer('ci')),
    (r) => r.status === 423,
    'the freeze gate to refuse',
  );
  assert.equal(locked.json.allowed, false);
  // (The lockdown's own probe asks too, as launch-control, whenever lockdown runs.)
  const asked = (await viewer.auditOf(id)).filter(
    (e) =>
      e.action === 'configChangeRequest' && (e.detail as { change?: string } | undefined)?.change === 'chg-7',
  );
  assert.ok(asked.length > 0 && asked.every((e) => e.actor === 'ci-bot'), JSON.stringify(asked));
  const spoofed = await api.post('/freeze/requests', { ...change, by: 'cab-carol' }, bearer('ci'));
  assert.equal(spoofed.status, 403, spoofed.body);

  // The operator's abort, `by` filled in from the token; `by` equal to the subject is fine too.
  const abort = await api.post(`/launches/${id}/abort`, { reason: 'test done' }, bearer('operator'));
  assert.equal(abort.status, 202, abort.body);
  const aborted = (await viewer.auditOf(id)).find((e) => e.seq === abort.json.auditSeq);
  assert.equal(aborted?.actor, 'sre-sam');
  assert.equal(aborted?.action, 'abort');
  const ended = await viewer.statusWhen(id, isTerminal, 'the launch to end');
  assert.equal(ended.abort?.by, 'sre-sam');
  const late = await api.post(
    `/launches/${id}/abort`,
    { by: 'sre-sam', reason: 'again' },
    bearer('operator'),
  );
  assert.equal(late.status, 409, late.body);
});

test('a signal that aborts needs the operator role: an approver cannot abort through /signals/abort', async () => {
  const id = 'auth-abort-signal';
  const plan = fastPlan({ launchId: id, service: 'auth-abort-signal' });
  // alice may abort by the plan (rollback authority), but her token only holds the approver role.
  plan.approvals = { ...plan.approvals, rollbackAuthority: ['sre-sam', 'alice'] };
  const viewer = apiClient(api.app, bearer('viewer'));
  assert.equal((await api.post('/launches', plan, bearer('operator'))).status, 201);
  await viewer.statusWhen(id, (s) => s.phase === 'READINESS', 'readiness');
  const auditLength = (await viewer.auditOf(id)).length;

  // Also spelt so that only decoding makes it `abort`.
  for (const url of [
    `/launches/${id}/abort`,
    `/launches/${id}/signals/abort`,
    `/launches/${id}/signals/abor%74`,
  ]) {
    const res = await api.post(url, { reason: 'an approver tries' }, bearer('approver'));
    assert.equal(res.status, 403, `${url}: ${res.body}`);
    assert.equal(res.json.error, 'forbidden');
    assert.match(res.json.message, /needs the operator role/);
  }
  assert.equal((await viewer.auditOf(id)).length, auditLength, 'nothing reached the launch');
  assert.equal((await viewer.statusWhen(id, () => true, 'status')).phase, 'READINESS');

  const abort = await api.post(`/launches/${id}/signals/abort`, { reason: 'test done' }, bearer('operator'));
  assert.equal(abort.status, 202, abort.body);
  const aborted = (await viewer.auditOf(id)).find((e) => e.seq === abort.json.auditSeq);
  assert.equal(aborted?.actor, 'sre-sam');
  assert.equal(aborted?.action, 'abort');
  assert.equal((await viewer.statusWhen(id, isTerminal, 'the launch to end')).phase, 'ABORTED');
});

test('mutating routes are rate limited per caller: 429 with Retry-After', async () => {
  const app = buildApp({
    client: offlineClient(),
    taskQueue: 'none',
    auth: { ...AUTH, rateLimit: { max: 2, windowMs: 60_000 } },
  });
  try {
    const client = apiClient(app);
    // Malformed on purpose: answered (400) without Temporal, and still counted.
    for (let i = 0; i < 2; i++)
      assert.equal((await client.post('/freeze/requests', {}, bearer('ci'))).status, 400);
    const limited = await client.post('/freeze/requests', {}, bearer('ci'));
    assert.equal(limited.status, 429, limited.body);
    assert.equal(limited.json.error, 'rate-limited');
    assert.equal(limited.headers['retry-after'], '30', 'one request refills in 60s / 2');
    assert.equal(limited.json.retryAfterSeconds, 30);
    // Per caller: another operator is not affected; nor are reads.
    assert.equal((await client.post('/freeze/requests', {}, bearer('operator'))).status, 400);
    for (let i = 0; i < 5; i++) assert.equal((await client.get('/openapi.json')).status, 200);
    // The bucket is per caller across routes.
    assert.equal((await client.post('/launches', {}, bearer('ci'))).status, 429);
  } finally {
    await app.close();
  }

  let now = 0;
  const limiter = new RateLimiter({ max: 3, windowMs: 3_000 }, () => now);
  assert.deepEqual(
    [1, 2, 3, 4].map(() => limiter.take('x').allowed),
    [true, true, true, false],
  );
  assert.deepEqual(limiter.take('x'), { allowed: false, retryAfterSeconds: 1 });
  now += 1_000;
  assert.equal(limiter.take('x').allowed, true);
  assert.equal(limiter.take('x').allowed, false);
  assert.equal(limiter.take('y').allowed, true);
  assert.deepEqual(parseRateLimit('10/30s'), { max: 10, windowMs: 30_000 });
  assert.deepEqual(parseRateLimit(' 60 / 1m '), { max: 60, windowMs: 60_000 });
  assert.equal(parseRateLimit('off'), false);
  for (const bad of ['ten/1m', '10', '10/soon', '0/1m']) assert.throws(() => parseRateLimit(bad), /expected/);
});

test('dev mode: no tokens outside production accepts every request, and says so on every answer', async () => {
  const app = buildApp({ client: offlineClient(), taskQueue: 'none' });
  try {
    const client = apiClient(app);
    for (const [method, url, body] of [
      ['GET', '/openapi.json', undefined],
      ['GET', '/nowhere', undefined],
      ['POST', '/freeze/requests', { by: 'anyone', change: 'x' }],
      ['POST', '/launches', {}],
    ] as const) {
      const res = await client.call(method, url, body);
      assert.notEqual(res.status, 401, `${method} ${url}`);
      assert.notEqual(res.status, 403, `${method} ${url}`);
      assert.equal(res.headers['x-launch-control-auth'], 'dev-mode-no-auth', `${method} ${url}`);
    }
    // The body is passed unchanged: a missing `by` is still the caller's mistake (400), not "dev".
    const noBy = await client.post('/freeze/requests', { service: 'x', change: 'y' });
    assert.equal(noBy.status, 400, noBy.body);
    assert.deepEqual(
      noBy.json.fields.map((f: { path: string }) => f.path),
      ['by'],
    );
  } finally {
    await app.close();
  }
  assert.equal(resolveAuth(undefined, {}).mode, 'dev');
  assert.equal(resolveAuth({ tokens: [] }, { NODE_ENV: 'development' }).mode, 'dev');

  // startApi announces it loudly.
  const lines: string[] = [];
  const server = await startApi({
    client: h.env.client,
    taskQueue: h.taskQueue,
    port: 0,
    logger: false,
    log: (line) => lines.push(line),
  });
  try {
    assert.ok(
      lines.some((l) => /WARNING: DEV MODE, NO AUTHENTICATION/.test(l)),
      lines.join('\n'),
    );
    const res = await fetch(`${server.url}/launches`);
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('x-launch-control-auth'), 'dev-mode-no-auth');
  } finally {
    await server.close();
  }

  // With tokens it says how callers authenticate, and a real socket enforces them.
  const authLines: string[] = [];
  const secured = await startApi({
    client: h.env.client,
    taskQueue: h.taskQueue,
    port: 0,
    logger: false,
    auth: AUTH,
    log: (line) => authLines.push(line),
  });
  try {
    assert.ok(
      authLines.some((l) => /auth: bearer tokens/.test(l)) && !authLines.some((l) => /DEV MODE/.test(l)),
    );
    const denied = await fetch(`${secured.url}/launches`);
    assert.equal(denied.status, 401);
    assert.equal(denied.headers.get('www-authenticate'), 'Bearer realm="launch-control"');
    const allowed = await fetch(`${secured.url}/launches`, { headers: bearer('viewer') });
    assert.equal(allowed.status, 200);
    assert.equal(allowed.headers.get('x-launch-control-auth'), null);
  } finally {
    await secured.close();
  }
});

test('production without tokens refuses to start, with a clear error', async () => {
  const refusal =
    /refusing to start the API without authentication in production.*LAUNCH_CONTROL_TOKENS_FILE/;
  const production = loadAuthFromEnv({ NODE_ENV: 'production' });
  assert.equal(production.production, true);
  assert.deepEqual(production.tokens, []);
  assert.throws(() => buildApp({ client: offlineClient(), taskQueue: 'none', auth: production }), refusal);
  await assert.rejects(
    startApi({ client: offlineClient(), taskQueue: 'none', port: 0, logger: false, auth: production }),
    refusal,
  );
  // No `auth` at all follows NODE_ENV.
  const saved = process.env.NODE_ENV;
  process.env.NODE_ENV = 'production';
  try {
    assert.throws(() => buildApp({ client: offlineClient(), taskQueue: 'none' }), refusal);
  } finally {
    if (saved === undefined) delete process.env.NODE_ENV;
    else process.env.NODE_ENV = saved;
  }
  // Production with tokens runs.
  const app = buildApp({ client: offlineClient(), taskQueue: 'none', auth: { ...AUTH, production: true } });
  try {
    const res = await app.inject({ url: '/launches/x/audit' });
    assert.equal(res.statusCode, 401);
  } finally {
    await app.close();
  }
});

test('loadAuthFromEnv: a JSON or YAML tokens file and LAUNCH_CONTROL_TOKENS; bad ones are clear errors', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'lc-tokens-'));
  try {
    const yamlFile = join(dir, 'tokens.yaml');
    writeFileSync(
      yamlFile,
      [
        '# hashes only: printf %s "$TOKEN" | sha256sum',
        `- subject: alice`,
        `  role: approver`,
        `  tokenSha256: ${hashToken(TOKEN.approver).toUpperCase()}`,
        `- subject: sre-sam`,
        `  roles: [operator, approver]`,
        `  token: ${TOKEN.operator}`,
      ].join('\n'),
    );
    const jsonTokens = JSON.stringify([
      { subject: 'victor', role: 'viewer', tokenSha256: hashToken(TOKEN.viewer) },
    ]);
    const config = loadAuthFromEnv({
      LAUNCH_CONTROL_TOKENS_FILE: yamlFile,
      LAUNCH_CONTROL_TOKENS: jsonTokens,
      LAUNCH_CONTROL_RATE_LIMIT: '5/10s',
    });
    assert.deepEqual(
      config.tokens.map((t) => [t.subject, t.roles]),
      [
        ['alice', ['approver']],
        ['sre-sam', ['operator', 'approver']],
        ['victor', ['viewer']],
      ],
    );
    assert.ok(
      config.tokens.every((t) => /^[0-9a-f]{64}$/.test(t.tokenSha256)),
      'only hashes are kept',
    );
    assert.ok(!JSON.stringify(config).includes(TOKEN.operator), 'the plain token is not kept');
    assert.deepEqual(config.rateLimit, { max: 5, windowMs: 10_000 });
    assert.equal(config.production, false);

    const app = buildApp({ client: h.env.client, taskQueue: h.taskQueue, auth: config });
    try {
      const client = apiClient(app);
      // sre-sam holds both roles: may send signals too (404: no such launch, so past auth).
      const signal = await client.post('/launches/nobody/signals/goNoGo', {}, bearer('operator'));
      assert.equal(signal.status, 404, signal.body);
      const freeze = await client.post('/freeze/requests', {}, bearer('approver'));
      assert.equal(freeze.status, 403, 'alice is no operator');
      assert.equal((await client.get('/launches/x/audit', bearer('ci'))).status, 401, 'not configured');
    } finally {
      await app.close();
    }

    const jsonFile = join(dir, 'tokens.json');
    writeFileSync(jsonFile, jsonTokens);
    assert.equal(loadAuthFromEnv({ LAUNCH_CONTROL_TOKENS_FILE: jsonFile }).tokens.length, 1);

    const fails = (env: NodeJS.ProcessEnv, message: RegExp) =>
      assert.throws(() => loadAuthFromEnv(env), message);
    const write = (name: string, text: string) => {
      writeFileSync(join(dir, name), text);
      return join(dir, name);
    };
    fails({ LAUNCH_CONTROL_TOKENS_FILE: join(dir, 'missing.yaml') }, /missing\.yaml: cannot read it/);
    fails({ LAUNCH_CONTROL_TOKENS_FILE: write('empty.json', '[]') }, /empty\.json: lists no tokens/);
    fails({ LAUNCH_CONTROL_TOKENS: '[]' }, /LAUNCH_CONTROL_TOKENS: lists no tokens/);
    fails({ LAUNCH_CONTROL_TOKENS: '{not json' }, /LAUNCH_CONTROL_TOKENS: not JSON/);
    fails(
      { LAUNCH_CONTROL_TOKENS: JSON.stringify([{ subject: 'a', tokenSha256: hashToken('x') }]) },
      /0\.roles: give "role" or "roles"/,
    );
    fails(
      {
        LAUNCH_CONTROL_TOKENS: JSON.stringify([
          { subject: 'a', role: 'viewer', token: TOKEN.viewer, tokenSha256: hashToken(TOKEN.viewer) },
        ]),
      },
      /give "tokenSha256" \(preferred\) or "token"/,
    );
    fails(
      { LAUNCH_CONTROL_TOKENS: JSON.stringify([{ subject: 'a', role: 'viewer', token: 'short' }]) },
      /token: at least 32 characters/,
    );
    fails(
      {
        LAUNCH_CONTROL_TOKENS: JSON.stringify([{ subject: 'a', role: 'admin', tokenSha256: hashToken('x') }]),
      },
      /0\.role/,
    );
    fails(
      {
        LAUNCH_CONTROL_TOKENS: JSON.stringify([
          { subject: 'a b', role: 'viewer', tokenSha256: hashToken('x') },
        ]),
      },
      /0\.subject/,
    );
    fails({ LAUNCH_CONTROL_RATE_LIMIT: 'lots' }, /LAUNCH_CONTROL_RATE_LIMIT="lots"/);
    // The same token twice is ambiguous.
    assert.throws(
      () =>
        resolveAuth({
          tokens: [
            { subject: 'a', roles: ['viewer'], tokenSha256: hashToken(TOKEN.viewer) },
            { subject: 'b', roles: ['operator'], tokenSha256: hashToken(TOKEN.viewer) },
          ],
        }),
      /configured twice/,
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
