/**
 * Two rules of a launch that only show against real shapes and real time: the on-call person
 * acknowledges under an approver identity (PagerDuty names them "Olivia Smith"), and the config
 * freeze ends at `freezeWindow.end` even while the launch goes on.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { IntegrationsConfig } from '../../integrations/config.js';
import { auditQuery, checklistQuery, statusQuery, submitSignalUpdate } from '../../workflows/messages.js';
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
});
