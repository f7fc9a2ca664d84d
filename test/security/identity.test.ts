/**
 * Verified identities (docs/security.md): the API proves to the workflow whom its token
 * authenticated (a MAC the worker checks with a key the workflow never sees); a UI approver proves
 * it with a one-time code sent to them privately; a plan can refuse every approval that is only a
 * claim. Forged, replayed, expired and misattributed proofs are refused and audited.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { hashToken, type AuthConfig } from '../../api/auth.js';
import type { AuditEntry } from '../../domain/launch-state.js';
import { identityKeyFromEnv, signIdentityProof } from '../../worker/identity-proof.js';
import { auditQuery, statusQuery, submitSignalUpdate } from '../../workflows/messages.js';
import { buildTestApp, type TestApp } from '../api/api-client.js';
import {
  eventually,
  searchableHistory,
  startHarness,
  startLaunch,
  type Harness,
} from '../support/temporal.js';
import { privateChannelOf } from '../../scripts/sandbox/world.js';

const TOKEN = {
  alice: 'approver-token-alice-identity-0123456789',
  sam: 'operator-token-sam-identity-0123456789',
};
const AUTH: AuthConfig = {
  tokens: [
    { subject: 'alice', roles: ['approver'], tokenSha256: hashToken(TOKEN.alice) },
    { subject: 'sre-sam', roles: ['operator'], tokenSha256: hashToken(TOKEN.sam) },
  ],
};
const as = (who: keyof typeof TOKEN) => ({ authorization: `Bearer ${TOKEN[who]}` });

let h: Harness;
let api: TestApp;
before(async () => {
  h = await startHarness();
  api = await buildTestApp(h, AUTH);
});
after(async () => {
  await api?.app.close();
  await h?.stop();
});

const entry = (audit: AuditEntry[], seq: number) => audit.find((e) => e.seq === seq)!;
const pendingOf = (handle: Awaited<ReturnType<typeof startLaunch>>, signal: string, stage?: number) =>
  eventually(
    () => handle.query(statusQuery),
    (s) => s.pendingApprovals.some((p) => p.signal === signal && (stage === undefined || p.stage === stage)),
    `${signal} pending`,
    90_000,
  );
/** The one-time code the world's private channel of `person` received last. */
function lastCodeSentTo(person: string): string {
  const received = h.world.notifications.filter((n) => n.channel === privateChannelOf(person));
  const code = /one-time approval code: ([A-Z2-7]{10})/.exec(received.at(-1)?.text ?? '')?.[1];
  assert.ok(code, `a code reached ${person} privately`);
  return code;
}

describe('verified identities', { concurrency: true }, () => {
  test('an approval through the API is audited verified with the token’s subject; the same name typed into a signal stays a claim', async () => {
    const handle = await startLaunch(h, 'id-api');
    await pendingOf(handle, 'goNoGo');
    const res = await api.post(
      `/launches/${handle.workflowId}/signals/goNoGo`,
      { decision: 'go' },
      as('alice'),
    );
    assert.equal(res.status, 202, res.body);
    const accepted = entry(await handle.query(auditQuery), res.json.auditSeq);
    assert.deepEqual(
      [accepted.actor, accepted.outcome, accepted.identity],
      ['alice', 'accepted', 'verified'],
    );
    assert.equal((accepted.detail as { identityDetail?: string }).identityDetail, 'api-token');

    await pendingOf(handle, 'metricsReview', 10);
    await handle.signal('metricsReview', { by: 'alice', stage: 10, verdict: 'proceed' });
    const audit = await eventually(
      () => handle.query(auditQuery),
      (a) => a.some((e) => e.action === 'metricsReview' && e.outcome === 'accepted'),
      'review accepted',
    );
    assert.equal(
      audit.find((e) => e.action === 'metricsReview' && e.outcome === 'accepted')!.identity,
      'claimed',
    );

    const abort = await api.post(`/launches/${handle.workflowId}/abort`, { reason: 'test over' }, as('sam'));
    assert.equal(abort.status, 202, abort.body);
    assert.equal(entry(await handle.query(auditQuery), abort.json.auditSeq).identity, 'verified');
    assert.equal((await handle.result()).phase, 'ROLLED_BACK');
  });

  test('a proof that does not verify, has expired, names someone else or is used twice is refused and audited', async () => {
    const handle = await startLaunch(h, 'id-forged');
    await pendingOf(handle, 'goNoGo');
    const key = identityKeyFromEnv()!;
    const launchId = handle.workflowId;
    const submit = (name: string, payload: Record<string, unknown>, proof: unknown) =>
      handle.executeUpdate(submitSignalUpdate, { args: [{ name, payload, proof }] });
    const go = { by: 'alice', decision: 'go' };
    // A fresh proof for each try: a proof (its nonce) is spent by its first appearance.
    const valid = () => signIdentityProof(key, { launchId, name: 'goNoGo', payload: go }, 'alice');

    const refusals: [unknown, Record<string, unknown>, RegExp][] = [
      [{ ...valid(), mac: 'f'.repeat(64) }, go, /does not verify/],
      [valid(), { ...go, comment: 'changed after signing' }, /does not verify/],
      [
        signIdentityProof(key, { launchId: 'another-launch', name: 'goNoGo', payload: go }, 'alice'),
        go,
        /does not verify/,
      ],
      [signIdentityProof(key, { launchId, name: 'goNoGo', payload: go }, 'bob'), go, /is for bob, not alice/],
      [
        signIdentityProof(
          key,
          { launchId, name: 'goNoGo', payload: go },
          'alice',
          new Date(Date.now() - 10 * 60_000),
        ),
        go,
        /expired/,
      ],
      [{ subject: 'alice' }, go, /malformed identity proof/],
    ];
    for (const [proof, payload, reason] of refusals) {
      const outcome = await submit('goNoGo', payload, proof);
      assert.equal(outcome.accepted, false, String(reason));
      if (!outcome.accepted) {
        assert.equal(outcome.code, 'forbidden');
        assert.match(outcome.reason, reason);
      }
    }
    assert.equal((await handle.query(statusQuery)).phase, 'READINESS', 'no forged proof opened the gate');
    const first = await submit('goNoGo', go, valid());
    assert.equal(first.accepted, true);
    assert.equal(entry(await handle.query(auditQuery), first.auditSeq).identity, 'verified');

    // Once the freeze holds: the same override proof twice is one override.
    await eventually(
      () => handle.query(statusQuery),
      (s) => s.phase !== 'READINESS',
      'past readiness',
    );
    const override = { by: 'cab-carol', reason: 'hotfix', change: 'chg-7' };
    const overrideProof = signIdentityProof(
      key,
      { launchId, name: 'freezeOverride', payload: override },
      'cab-carol',
    );
    const once = await submit('freezeOverride', override, overrideProof);
    assert.equal(once.accepted, true, JSON.stringify(once));
    const twice = await submit('freezeOverride', override, overrideProof);
    assert.equal(twice.accepted, false);
    if (!twice.accepted) assert.match(twice.reason, /already used/);
    const audit = await handle.query(auditQuery);
    assert.equal(
      audit.filter((e) => e.outcome === 'refused' && e.action === 'goNoGo').length,
      refusals.length,
    );

    await handle.signal('abort', { by: 'sre-sam', reason: 'test over' });
    await handle.result();
  });

  test('the API’s proof covers the body as sent: an abort whose reason the schema trims is still the operator’s', async () => {
    const handle = await startLaunch(h, 'id-trim');
    await pendingOf(handle, 'goNoGo');
    const res = await api.post(
      `/launches/${handle.workflowId}/abort`,
      { reason: '  bad metrics\n' },
      as('sam'),
    );
    assert.equal(res.status, 202, res.body);
    assert.equal(entry(await handle.query(auditQuery), res.json.auditSeq).identity, 'verified');
    assert.equal((await handle.result()).phase, 'ABORTED');
  });

  test('a proof is spent by its first use even when refused: replayed once the gate opens, it is refused', async () => {
    const handle = await startLaunch(h, 'id-replay');
    const launchId = handle.workflowId;
    const go = { by: 'alice', decision: 'go' };
    const proof = signIdentityProof(
      identityKeyFromEnv()!,
      { launchId, name: 'goNoGo', payload: go },
      'alice',
    );
    const submit = () =>
      handle.executeUpdate(submitSignalUpdate, { args: [{ name: 'goNoGo', payload: go, proof }] });
    // At once: the launch is still starting, nothing is awaited yet.
    const early = await submit();
    assert.equal(early.accepted, false, 'before the go/no-go is asked for');
    await pendingOf(handle, 'goNoGo');
    const replay = await submit();
    assert.equal(replay.accepted, false);
    if (!replay.accepted) assert.match(replay.reason, /already used/);
    assert.equal((await handle.query(statusQuery)).phase, 'READINESS');
    await handle.signal('abort', { by: 'sre-sam', reason: 'test over' });
    await handle.result();
  });

  test('a plan requiring verified identity refuses claims; a one-time code proves a UI approver, once', async () => {
    const handle = await startLaunch(h, 'id-codes', {
      approvals: {
        goNoGo: ['alice', 'bob'],
        rollbackAuthority: ['sre-sam'],
        freezeOverride: ['cab-carol'],
        metricsReview: ['alice', 'mia'],
        timeout: '60s',
        codes: true,
        requireVerifiedIdentity: true,
      },
    });
    await pendingOf(handle, 'goNoGo');
    const aliceCode = lastCodeSentTo('alice');
    const bobCode = lastCodeSentTo('bob');
    assert.notEqual(aliceCode, bobCode);

    await handle.signal('goNoGo', { by: 'alice', decision: 'go' });
    await handle.signal('goNoGo', { by: 'alice', decision: 'go', code: 'AAAAAAAAAA' });
    await handle.signal('goNoGo', { by: 'alice', decision: 'go', code: bobCode });
    const refused = await eventually(
      () => handle.query(auditQuery),
      (a) => a.filter((e) => e.action === 'goNoGo' && e.outcome === 'refused').length >= 3,
      'three refusals',
    );
    const reasons = refused.filter((e) => e.action === 'goNoGo').map((e) => e.reason ?? '');
    assert.ok(
      reasons.some((r) => /^this plan requires a verified identity/.test(r)),
      reasons.join('\n'),
    );
    assert.equal(reasons.filter((r) => /approval code does not match/.test(r)).length, 2, reasons.join('\n'));
    assert.equal((await handle.query(statusQuery)).phase, 'READINESS');

    // A code is spent by its first appearance: the refused signal above put bob's code in history,
    // where anyone could read it; a decision sent with it afterwards is refused, even as bob.
    await handle.signal('goNoGo', { by: 'bob', decision: 'no-go', code: bobCode });
    await eventually(
      () => handle.query(auditQuery),
      (a) => a.some((e) => e.action === 'goNoGo' && /approval code was already used/.test(e.reason ?? '')),
      'the reused code refused',
    );
    assert.equal((await handle.query(statusQuery)).phase, 'READINESS');

    await handle.signal('goNoGo', { by: 'alice', decision: 'go', code: aliceCode });
    const audit = await eventually(
      () => handle.query(auditQuery),
      (a) => a.some((e) => e.action === 'goNoGo' && e.outcome === 'accepted'),
      'code accepted',
    );
    const accepted = audit.find((e) => e.action === 'goNoGo' && e.outcome === 'accepted')!;
    assert.equal(accepted.identity, 'verified');
    assert.equal((accepted.detail as { identityDetail?: string }).identityDetail, 'approval-code');
    assert.equal(JSON.stringify(accepted).includes(aliceCode), false, 'the code is not in the audit log');

    // The API's proof counts too; a claimed abort is still taken (a safety action), audited as claimed.
    await pendingOf(handle, 'metricsReview', 10);
    // A code sent to the task by mistake is in that task's history: the launch takes it no more.
    const miaCode = lastCodeSentTo('mia');
    const misdirected = { by: 'mia', stage: 10, verdict: 'proceed', code: miaCode };
    await h.env.client.workflow
      .getHandle(`${handle.workflowId}/traffic`)
      .signal('metricsReview', misdirected);
    // The task tells the launch it saw a code (its content is only ever a code to spend).
    await eventually(
      () => handle.fetchHistory(),
      (history) =>
        (history.events ?? []).some(
          (e) => e.workflowExecutionSignaledEventAttributes?.signalName === 'approvalCodeSeen',
        ),
      'the task told the launch',
    );
    await handle.signal('metricsReview', misdirected);
    await eventually(
      () => handle.query(auditQuery),
      (a) =>
        a.some((e) => e.action === 'metricsReview' && /approval code was already used/.test(e.reason ?? '')),
      'the misdirected code refused by the launch',
    );
    assert.ok(
      !(await handle.query(auditQuery)).some((e) => e.action === 'metricsReview' && e.outcome === 'accepted'),
    );
    const review = await api.post(
      `/launches/${handle.workflowId}/signals/metricsReview`,
      { stage: 10, verdict: 'proceed' },
      as('alice'),
    );
    assert.equal(review.status, 202, review.body);
    await handle.signal('abort', { by: 'sre-sam', reason: 'test over' });
    const result = await handle.result();
    assert.equal(result.abort?.cause, 'operator-abort');
    const abort = (await handle.query(auditQuery)).find(
      (e) => e.action === 'abort' && e.outcome === 'accepted',
    );
    assert.equal(abort?.identity, 'claimed');

    // No code is in any history but in the signal its approver typed (and the search finds it there).
    const seenIn: string[] = [];
    for (const id of [handle.workflowId, `${handle.workflowId}/readiness`]) {
      const events = (await h.env.client.workflow.getHandle(id).fetchHistory()).events ?? [];
      for (const event of events) {
        const text = searchableHistory(event);
        for (const code of [aliceCode, bobCode])
          if (text.includes(code)) {
            seenIn.push(code);
            assert.ok(
              event.workflowExecutionSignaledEventAttributes,
              `${code} only in a signal's input (${id})`,
            );
          }
      }
    }
    assert.ok(seenIn.includes(aliceCode) && seenIn.includes(bobCode), 'the search sees the codes sent');
  });
});
