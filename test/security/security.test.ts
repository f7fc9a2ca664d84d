/**
 * Security guarantees that are not about the API's door (test/api/auth.test.ts covers 401/403
 * route by route from the OpenAPI document):
 *
 * - approvals from people the plan does not list are refused and audited, for every human action,
 *   through signals (UI, CLI) and through the update the API uses;
 * - a plan can never name a URL, a command or a credential: integrations are referenced by name,
 *   every object of the schema is closed, and generated plans carrying such fields are refused;
 * - the secrets of the integrations configuration (the tokens `tokenEnv` names) are used by the
 *   worker yet never reach workflow history, the worker's logs or notifications: every history of
 *   this file is scanned, and the scan is shown to find a secret that is there. (Every other test file's harness runs the same scan
 *   over all its histories when it stops: `test/support/temporal.ts`.)
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import fc from 'fast-check';
import { z } from 'zod';
import { checkPlan, launchPlanSchema } from '../../domain/plan.js';
import { auditQuery, statusQuery, submitSignalUpdate } from '../../workflows/messages.js';
import { approveEverything, autopilot, goodReview } from '../support/approver.js';
import { fastPlan } from '../support/plans.js';
import {
  assertNoFailedWorkflowTasks,
  eventually,
  scanHistoriesForSecrets,
  startHarness,
  startLaunch,
  workerLogs,
  type Harness,
} from '../support/temporal.js';

let h: Harness;
before(async () => {
  h = await startHarness();
});
after(async () => {
  await h?.stop();
});

/** Field names that would mean a plan carries something to call, run or authenticate with. */
const FORBIDDEN_FIELD =
  /url$|uri$|^url|endpoint|host|address|command|cmd|exec|script|shell|token|password|passwd|credential|^secret$|apikey|api_key|webhook|header|cookie|^auth$|authorization|bearer/i;

describe('security', { concurrency: true }, () => {
  test('approvals from people not listed in the plan are refused and audited, for every human action, by signal and by update', async () => {
    const handle = await startLaunch(h, 'sec-strangers');
    await eventually(
      () => handle.query(statusQuery),
      (s) => s.pendingApprovals.some((p) => p.signal === 'goNoGo'),
      'goNoGo pending',
    );
    const payloads: Record<string, Record<string, unknown>> = {
      goNoGo: { decision: 'go' },
      metricsReview: { stage: 10, verdict: 'proceed' },
      abort: { reason: 'let me in' },
      freezeOverride: { reason: 'urgent', change: 'chg-1' },
      postLaunchReview: goodReview('x', undefined, 'https://docs.example/'),
    };
    // By signal, as the Temporal UI or CLI send it.
    for (const [name, payload] of Object.entries(payloads))
      await handle.signal(name, { ...payload, by: 'mallory' });
    // By update, as the API sends it: the answer names the audit entry.
    const outcomes = [];
    for (const [name, payload] of Object.entries(payloads))
      outcomes.push(
        await handle.executeUpdate(submitSignalUpdate, {
          args: [{ name, payload: { ...payload, by: 'mallory' } }],
        }),
      );
    // The person on call is decided at run time: a stranger's ack is not awaited, so refused too.
    await handle.signal('onCallAck', { by: 'mallory' });

    // The ack is checked against the running task's state (an activity), so its refusal lands a moment later.
    const audit = await eventually(
      () => handle.query(auditQuery),
      (a) => a.filter((e) => e.actor === 'mallory').length >= 11,
      'eleven refusals',
    );
    const mallory = audit.filter((e) => e.actor === 'mallory');
    assert.equal(mallory.length, 11, JSON.stringify(mallory, null, 1));
    assert.ok(mallory.every((e) => e.outcome === 'refused' && e.identity === 'claimed'));
    for (const name of Object.keys(payloads)) {
      const refusals = mallory.filter((e) => e.action === name);
      assert.deepEqual(
        refusals.map((e) => e.via),
        ['signal', 'update'],
        name,
      );
      for (const e of refusals) assert.match(e.reason!, /mallory may not/, `${name}: ${e.reason}`);
    }
    assert.match(mallory.find((e) => e.action === 'onCallAck')!.reason!, /no onCallAck is awaited/);
    for (const outcome of outcomes) {
      assert.equal(outcome.accepted, false);
      if (outcome.accepted) continue;
      assert.equal(outcome.code, 'forbidden');
      assert.equal(audit.find((e) => e.seq === outcome.auditSeq)?.actor, 'mallory');
    }
    // Nothing moved: still waiting for a go from alice or bob.
    const status = await handle.query(statusQuery);
    assert.equal(status.phase, 'READINESS');
    assert.deepEqual(status.pendingApprovals.find((p) => p.signal === 'goNoGo')?.approvers, ['alice', 'bob']);
    await handle.signal('abort', { by: 'sre-sam', reason: 'test over' });
    assert.equal((await handle.result()).phase, 'ABORTED');
    await assertNoFailedWorkflowTasks(h, [handle.workflowId]);
  });

  test('the plan schema cannot carry a URL, command or credential: closed objects, no such fields, integrations by name', () => {
    const schema = z.toJSONSchema(launchPlanSchema, { io: 'input', unrepresentable: 'any' }) as Record<
      string,
      unknown
    >;
    const problems: string[] = [];
    const walk = (node: unknown, where: string) => {
      if (!node || typeof node !== 'object') return;
      const n = node as Record<string, unknown>;
      if (n.type === 'object' && n.properties) {
        if (n.additionalProperties !== false) problems.push(`${where || '(plan)'} accepts unknown fields`);
        for (const key of Object.keys(n.properties as object))
          if (FORBIDDEN_FIELD.test(key) && key !== 'requiredSecrets') problems.push(`${where}.${key}`);
      }
      for (const [k, v] of Object.entries(n))
        walk(v, k === 'properties' || k === 'items' ? where : `${where}.${k}`);
      if (n.properties)
        for (const [k, v] of Object.entries(n.properties as object)) walk(v, where ? `${where}.${k}` : k);
    };
    walk(schema, '');
    assert.deepEqual(problems, []);

    // Integrations are names (slugs): a URL, a command, a path or credentials never pass.
    const plan = fastPlan();
    for (const value of [
      'http://attacker.example',
      'https://user:pw@host/x',
      'a b',
      '$(curl x|sh)',
      '/usr/bin/deploy',
      'Default',
      'host:9090',
    ]) {
      const result = checkPlan({ ...plan, integrations: { metrics: value } });
      assert.equal(result.ok, false, value);
    }
    assert.equal(checkPlan({ ...plan, integrations: { metrics: 'prometheus-eu' } }).ok, true);
  });

  test('generated plans: any URL, command or credential field anywhere is refused (property-based)', () => {
    const plan = launchPlanSchema.parse(fastPlan());
    const objectPaths: string[][] = [];
    const collect = (v: unknown, path: string[]) => {
      if (v && typeof v === 'object' && !Array.isArray(v)) {
        objectPaths.push(path);
        for (const [k, child] of Object.entries(v)) collect(child, [...path, k]);
      } else if (Array.isArray(v)) v.forEach((child, i) => collect(child, [...path, String(i)]));
    };
    collect(fastPlan(), []);
    const field = fc.oneof(
      fc.constantFrom(
        'url',
        'webhookUrl',
        'endpoint',
        'command',
        'cmd',
        'exec',
        'script',
        'token',
        'apiKey',
        'password',
        'credentials',
        'headers',
        'env',
      ),
      fc.string({ minLength: 1, maxLength: 20 }),
    );
    const value = fc.oneof(
      fc.constantFrom('https://attacker.example/x', 'rm -rf /', 'ghp_0123456789abcdef', 'Bearer abc'),
      fc.jsonValue({ maxDepth: 2 }),
    );
    fc.assert(
      fc.property(fc.nat(objectPaths.length - 1), field, value, (at, key, v) => {
        const input = structuredClone(fastPlan()) as unknown as Record<string, unknown>;
        let target = input as Record<string, unknown>;
        for (const part of objectPaths[at]!) target = target[part] as Record<string, unknown>;
        fc.pre(!Object.hasOwn(target, key) && key !== '__proto__');
        target[key] = v;
        const result = checkPlan(input);
        assert.equal(result.ok, false, `${objectPaths[at]!.join('.')}.${key} was accepted`);
      }),
      { numRuns: 1_000 },
    );
    assert.ok(plan.integrations.metrics === 'default');
  });

  test("the integrations' secrets are used, yet neither workflow history nor the worker's logs hold one (the scan finds one that is there)", async () => {
    assert.ok(h.secrets.length >= 5, `${h.secrets.length} secrets configured`);
    // A launch that goes LIVE touches every integration; one whose traffic router fails for a
    // while puts integration errors into history too.
    const live = await startLaunch(h, 'sec-live');
    const docs = `${h.world.url}/docs/`;
    await autopilot(live, (p) =>
      p.signal === 'postLaunchReview'
        ? { name: 'postLaunchReview', payload: goodReview(p.approvers[0]!, p, docs) }
        : approveEverything(p),
    );
    assert.equal((await live.result()).phase, 'LIVE');

    // The worker really sent them (as bearer tokens).
    const used = new Set(h.world.requestsTo('/').map((r) => r.authorization?.replace(/^Bearer /, '')));
    const unused = h.secrets.filter((s) => !used.has(s));
    assert.deepEqual(unused, [], 'every configured token was used');

    const scan = await scanHistoriesForSecrets(h.env.client, h.secrets, h.secretScanExclusions);
    assert.ok(scan.runs >= 7, `${scan.runs} runs scanned`);
    assert.deepEqual(scan.findings, []);
    // Nor did the worker log one (its workflows' and activities' logs, INFO and up).
    assert.ok(workerLogs.length > 0, 'the worker logged');
    for (const secret of h.secrets)
      assert.ok(!workerLogs.some((line) => line.includes(secret)), 'no secret in the worker logs');
    // Nor did the people told through the notifier see one.
    const told = JSON.stringify(h.world.notifications);
    for (const secret of h.secrets) assert.ok(!told.includes(secret), 'no secret in notifications');

    // Positive control: a secret typed into a signal is in history, and the scan finds it
    // (as text and inside payloads).
    const leaky = await startLaunch(h, 'sec-leak');
    await leaky.signal('goNoGo', { by: 'alice', decision: 'go', comment: `oops ${h.secrets[0]}` });
    await leaky.signal('abort', { by: 'sre-sam', reason: 'control' });
    await leaky.result();
    const control = await scanHistoriesForSecrets(h.env.client, h.secrets);
    assert.deepEqual([...new Set(control.findings.map((f) => f.workflowId))], ['sec-leak-launch']);
    h.secretScanExclusions.add('sec-leak-launch');
  });
});
