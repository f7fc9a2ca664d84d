/**
 * Two rules of a launch that only show against real shapes and real time: the on-call person
 * acknowledges under an approver identity (PagerDuty names them "Olivia Smith"), and the config
 * freeze ends at `freezeWindow.end` even while the launch goes on.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { submitConfigChange } from '../../api/freeze-gate.js';
import type { IntegrationsConfig } from '../../integrations/config.js';
import {
  auditQuery,
  checklistQuery,
  requestConfigChangeUpdate,
  statusQuery,
  submitSignalUpdate,
} from '../../workflows/messages.js';
import { approveEverything, autopilot, goodReview } from '../support/approver.js';
import { eventually, startHarness, startLaunch, type Harness } from '../support/temporal.js';
import { startWorld, type World } from '../support/world.js';

let world: World;
let h: Harness;
before(async () => {
  world = await startWorld();
  const pagerduty = { type: 'pagerduty' as const, url: world.url };
  const integrationsConfig: IntegrationsConfig = {
    ...world.integrationsConfig(),
    oncall: {
      default: pagerduty,
      // The world's on-call user is PUSER01, "Olivia Smith" <olivia@example.com>.
      mapped: { ...pagerduty, identities: { PUSER01: 'olivia' } },
      'mapping-only': { ...pagerduty, identities: { PUSER99: 'someone-else' }, emailAsIdentity: false },
    },
  };
  h = await startHarness({ world, integrationsConfig });
});
after(async () => {
  await h?.stop();
  await world?.close();
});

const docs = () => `${world.url}/docs/`;
const ackOf = (by: string) => ({ name: 'onCallAck', payload: { by } });

describe('on-call identity and the freeze window', { concurrency: true }, () => {
  test('the on-call person acknowledges as their mapped identity; the PagerDuty display name is refused', async () => {
    const handle = await startLaunch(h, 'oncall-mapped', { integrations: { oncall: 'mapped' } });
    void autopilot(handle, (p) =>
      p.signal === 'onCallAck'
        ? null
        : p.signal === 'postLaunchReview'
          ? { name: p.signal, payload: goodReview(p.approvers[0]!, p, docs()) }
          : approveEverything(p),
    );
    const status = await eventually(
      () => handle.query(statusQuery),
      (s) => s.pendingApprovals.some((p) => p.signal === 'onCallAck'),
      'the on-call acknowledgement is awaited',
    );
    assert.deepEqual(status.pendingApprovals.find((p) => p.signal === 'onCallAck')?.approvers, ['olivia']);

    const byName = await handle.executeUpdate(submitSignalUpdate, { args: [ackOf('Olivia Smith')] });
    assert.equal(byName.accepted, false);
    assert.match(!byName.accepted ? byName.reason : '', /by: a user name or e-mail without spaces/);
    // The server mapping wins over the e-mail PagerDuty also sends.
    const byEmail = await handle.executeUpdate(submitSignalUpdate, { args: [ackOf('olivia@example.com')] });
    assert.deepEqual(byEmail.accepted ? null : [byEmail.code, byEmail.reason], [
      'forbidden',
      'olivia@example.com may not send onCallAck; allowed: olivia',
    ]);
    const byIdentity = await handle.executeUpdate(submitSignalUpdate, { args: [ackOf('olivia')] });
    assert.equal(byIdentity.accepted, true, JSON.stringify(byIdentity));

    const result = await handle.result();
    assert.equal(result.phase, 'LIVE', JSON.stringify(result));
    const item = (await handle.query(checklistQuery))['5.5.policy.on-call'];
    assert.equal(item?.status, 'passed');
    assert.equal(item?.verifiedBy, 'olivia');
    assert.equal(item?.evidence?.name, 'Olivia Smith');
    const acks = (await handle.query(auditQuery)).filter((e) => e.action === 'onCallAck');
    assert.deepEqual(
      acks.map((e) => e.outcome),
      ['refused', 'refused', 'accepted'],
    );
  });

  test('an on-call person without an identity fails the on-call item naming the missing mapping, at once', async () => {
    const handle = await startLaunch(h, 'oncall-unmapped', {
      integrations: { oncall: 'mapping-only' },
    });
    let ackRequested = false;
    void autopilot(handle, (p) => {
      if (p.signal === 'onCallAck') ackRequested = true;
      return approveEverything(p);
    });
    const result = await handle.result();
    assert.equal(result.phase, 'ROLLED_BACK', JSON.stringify(result));
    const missing =
      /no approver identity for on-call Olivia Smith \(user PUSER01, schedule checkout-primary\): map it in the server's integrations config, oncall\.mapping-only\.identities\["PUSER01"\]/;
    assert.equal(result.abort?.cause, 'check-failed');
    assert.match(result.abort?.detail ?? '', missing);
    const item = (await handle.query(checklistQuery))['5.5.policy.on-call'];
    assert.equal(item?.status, 'failed');
    assert.match(item?.reason ?? '', missing);
    assert.equal(ackRequested, false, 'nobody was asked for an ack nobody could send');
  });

  test('inside a launch the freeze lifts at freezeWindow.end: audited, and the freeze gate allows changes again', async () => {
    // Long enough to reach the 10 % review (held there), short enough to pass while it waits.
    const windowMs = 40_000;
    const now = Date.now();
    const end = new Date(now + windowMs).toISOString();
    const handle = await startLaunch(h, 'freeze-ends', {
      launchWindow: { start: new Date(now - 60_000).toISOString(), end },
      freezeWindow: { start: new Date(now - 120_000).toISOString(), end },
    });
    const change = { by: 'ci-bot', change: 'raise-pool-size' };
    void autopilot(handle, (p) => (p.signal === 'metricsReview' ? null : approveEverything(p)));
    await eventually(
      () => handle.query(statusQuery),
      (s) => s.pendingApprovals.some((p) => p.signal === 'metricsReview' && p.stage === 10),
      'the 10% review is awaited',
    );
    const during = await handle.executeUpdate(requestConfigChangeUpdate, { args: [change] });
    assert.equal(during.allowed, false, 'the freeze holds inside its window');
    assert.ok(Date.now() < now + windowMs, 'the 10% review was reached inside the freeze window');

    await new Promise((r) => setTimeout(r, now + windowMs + 1_000 - Date.now()));
    assert.equal((await handle.query(statusQuery)).phase, 'TRAFFIC', 'the launch still runs');
    const afterEnd = await handle.executeUpdate(requestConfigChangeUpdate, { args: [change] });
    assert.deepEqual([afterEnd.allowed, afterEnd.reason], [true, 'no freeze is active']);
    const lifted = (await handle.query(auditQuery)).filter((e) => e.action === 'freeze-lifted');
    assert.deepEqual(
      lifted.map((e) => e.reason),
      ['freeze window ended'],
    );
    // The API's gate no longer finds the launch among the freeze holders.
    const gate = await eventually(
      () => submitConfigChange(h.env.client, { service: 'freeze-ends', ...change }),
      (answer) => answer.allowed,
      'the freeze gate allows the change',
      10_000,
    );
    assert.deepEqual(gate.launches, []);

    await handle.signal('abort', { by: 'sre-sam', reason: 'test done' });
    const result = await handle.result();
    assert.equal(result.phase, 'ROLLED_BACK', JSON.stringify(result));
    const liftedAtEnd = (await handle.query(auditQuery)).filter((e) => e.action === 'freeze-lifted');
    assert.equal(liftedAtEnd.length, 1, 'lifted once');
  });
});
