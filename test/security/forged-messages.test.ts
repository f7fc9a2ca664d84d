/**
 * What an attacker with signal rights on the namespace can send (the Temporal UI's signal dialog,
 * `temporal workflow signal`) changes no checklist item, writes no audit entry in anyone's name and
 * moves no launch past a gate: the internal messages between a launch and its tasks carry nothing
 * either side believes (docs/security.md). Each forgery is sent with the real Temporal CLI.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { after, before, describe, test } from 'node:test';
import { promisify } from 'node:util';
import { auditSchema } from '../../api/schemas.js';
import { renderChecklistMarkdown } from '../../domain/checklist.js';
import { resolveTemporalCli } from '../../scripts/temporal-cli.js';
import { auditQuery, checklistQuery, statusQuery } from '../../workflows/messages.js';
import { approveEverything, autopilot, goodReview } from '../support/approver.js';
import {
  assertNoFailedWorkflowTasks,
  eventually,
  startHarness,
  startLaunch,
  type Harness,
} from '../support/temporal.js';

const run = promisify(execFile);
let h: Harness;
let cli = '';
before(async () => {
  h = await startHarness();
  cli = await resolveTemporalCli();
});
after(async () => {
  await h?.stop();
});

/** `temporal workflow signal`, exactly as someone with the CLI (or the UI's dialog) sends it. */
async function signalWithCli(workflowId: string, name: string, input: unknown) {
  await run(cli, [
    'workflow',
    'signal',
    '--address',
    h.env.address,
    '--namespace',
    'default',
    '--workflow-id',
    workflowId,
    '--name',
    name,
    '--input',
    JSON.stringify(input),
  ]);
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('forged internal messages', { concurrency: true }, () => {
  test('a forged taskProgress during readiness ticks nothing, audits nobody, opens no gate and moves no traffic', async () => {
    const handle = await startLaunch(h, 'forge-ready');
    await eventually(
      () => handle.query(statusQuery),
      (s) => s.pendingApprovals.some((p) => p.signal === 'goNoGo'),
      'goNoGo pending',
    );
    const stamp = new Date().toISOString();
    const forged = {
      task: '5.1',
      items: [
        {
          id: '5.1.verification.go-no-go',
          status: 'passed',
          verifiedBy: 'alice',
          verifiedAt: stamp,
          evidence: { decision: 'go' },
        },
        { id: '5.6.review.conducted', status: 'passed', verifiedBy: 'rev', verifiedAt: stamp, evidence: {} },
      ],
      audit: [
        {
          actor: 'alice',
          action: 'goNoGo',
          outcome: 'accepted',
          identity: 'verified',
          via: 'api',
          at: stamp,
        },
      ],
      pending: [],
      trafficPercent: 100,
      productionTouched: true,
    };
    await signalWithCli(handle.workflowId, 'taskProgress', forged);
    // Another task's items under its own name, and a bare prompt (which only makes the launch read its task).
    await signalWithCli(handle.workflowId, 'taskProgress', { ...forged, task: '5.6' });
    await signalWithCli(handle.workflowId, 'taskProgress', { task: '5.1' });
    // Straight to the task: a wake-up with an invented acceptance, and one carrying an approval.
    const task = `${handle.workflowId}/readiness`;
    await signalWithCli(task, 'deliverApproval', { auditSeq: 1 });
    await signalWithCli(task, 'deliverApproval', {
      name: 'goNoGo',
      payload: { by: 'alice', decision: 'go' },
    });

    const audit = await eventually(
      () => handle.query(auditQuery),
      (a) => a.filter((e) => e.action === 'taskProgress').length >= 2,
      'two refused reports',
    );
    assert.deepEqual(
      audit.filter((e) => e.action === 'taskProgress').map((e) => [e.outcome, e.identity]),
      [
        ['refused', 'claimed'],
        ['refused', 'claimed'],
      ],
    );
    assert.match(
      audit.find((e) => e.action === 'taskProgress')!.reason!,
      /carries no evidence.*items, audit, pending/,
    );
    await sleep(1_500); // time for anything a forgery could have set off
    const status = await handle.query(statusQuery);
    assert.equal(status.phase, 'READINESS', 'still at the gate');
    assert.ok(
      status.pendingApprovals.some((p) => p.signal === 'goNoGo'),
      'the go/no-go is still awaited',
    );
    assert.equal(status.trafficPercent, 0);
    const checklist = await handle.query(checklistQuery);
    assert.notEqual(checklist['5.1.verification.go-no-go']?.status, 'passed');
    assert.equal(checklist['5.6.review.conducted'], undefined);
    const during = await handle.query(auditQuery);
    assert.ok(
      !during.some((e) => e.actor === 'alice' && e.outcome === 'accepted'),
      'nothing in alice’s name',
    );
    assert.ok(!during.some((e) => e.identity === 'verified'), 'nothing verified');

    await handle.signal('abort', { by: 'sre-sam', reason: 'test over' });
    const result = await handle.result();
    // The forged productionTouched did not make the launch roll production back.
    assert.equal(result.phase, 'ABORTED');
    assert.equal(h.world.getCanaryPercent('forge-ready', 'production'), 0);
    const final = await handle.query(checklistQuery);
    const markdown = renderChecklistMarkdown(final);
    assert.match(markdown, /- \[ \] Explicit go\/no-go decision recorded/);
    assert.match(markdown, /- \[ \] Post-launch review conducted/);
    const finalAudit = await handle.query(auditQuery);
    // The task's own refusal of the forged delivery came back with its outcome; the wake-up with an
    // invented sequence number was read against the launch and changed nothing.
    assert.ok(
      finalAudit.some((e) => e.action === 'deliverApproval' && e.outcome === 'refused' && e.task === '5.1'),
      'the forged delivery is audited',
    );
    assert.ok(!finalAudit.some((e) => e.actor === 'alice' && e.outcome === 'accepted'));
    // What the API serves stays within its own schema.
    auditSchema.parse({ launchId: handle.workflowId, entries: finalAudit });
    await assertNoFailedWorkflowTasks(h, [handle.workflowId, task]);
  });

  test('a failed item stays failed: a forged report cannot turn it into passed; the real review then passes it', async () => {
    const handle = await startLaunch(h, 'forge-review');
    const docs = `${h.world.url}/docs/`;
    let reviews = 0;
    const pilot = autopilot(handle, (p) => {
      if (p.signal !== 'postLaunchReview') return approveEverything(p);
      reviews += 1;
      // The first review links a runbook outside the configured docs: its item fails, the task
      // waits on. The second is sent below, after the forgery.
      const review = goodReview(p.approvers[0]!, p, docs);
      return reviews === 1
        ? { name: p.signal, payload: { ...review, runbooksUrl: 'https://elsewhere.example/rb' } }
        : null;
    });
    const runbooks = '5.6.documentation.runbooks';
    await eventually(
      () => handle.query(checklistQuery),
      (c) => c[runbooks]?.status === 'failed',
      'runbook link failed',
      120_000,
    );
    const checklist = await handle.query(checklistQuery);
    assert.equal(
      checklist[runbooks]?.provisional,
      true,
      'shown as the running task’s state, not as its outcome',
    );
    await signalWithCli(handle.workflowId, 'taskProgress', {
      task: '5.6',
      items: [{ id: runbooks, status: 'passed', verifiedBy: 'rev', evidence: { forged: true } }],
    });
    await eventually(
      () => handle.query(auditQuery),
      (a) => a.some((e) => e.action === 'taskProgress' && e.outcome === 'refused'),
      'forged report refused',
    );
    assert.equal((await handle.query(checklistQuery))[runbooks]?.status, 'failed');

    // The real review is sent again (the pending request is renewed): LIVE, with the real evidence.
    const status = await eventually(
      () => handle.query(statusQuery),
      (s) => s.pendingApprovals.some((p) => p.signal === 'postLaunchReview'),
      'review requested again',
    );
    const pending = status.pendingApprovals.find((p) => p.signal === 'postLaunchReview')!;
    await handle.signal('postLaunchReview', goodReview('rev', pending, docs));
    const result = await handle.result();
    assert.equal(result.phase, 'LIVE', JSON.stringify(result));
    const final = await handle.query(checklistQuery);
    assert.equal(final[runbooks]?.status, 'passed');
    assert.equal(final[runbooks]?.provisional, undefined);
    assert.equal(final[runbooks]?.evidence?.forged, undefined);
    await pilot; // its last poll must not outlive the test's Temporal connection
  });
});
