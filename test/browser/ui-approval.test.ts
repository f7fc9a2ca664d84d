/**
 * Approvers answer the go/no-go from the Temporal Web UI, in a real (headless) Chromium: the list
 * filtered by the `LaunchService` search attribute, the launch's page, the **Send a Signal** dialog
 * (signals and descriptions from the workflow's metadata), the JSON payload, Submit. The launch
 * must leave the go/no-go wait; under a plan that requires verified identities, only with the
 * one-time approval code sent to the approver privately. The approver guide's pictures
 * (`docs/approvers/`) are taken along the way when UPDATE_SCREENSHOTS=1 is set.
 */
import type { Client, WorkflowHandle } from '@temporalio/client';
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test, type TestContext } from 'node:test';
import type { Page } from 'playwright-core';
import { PROJECT_ROOT } from '../../scripts/temporal-cli.js';
import type { launch } from '../../workflows/launch.js';
import { auditQuery, checklistQuery, statusQuery } from '../../workflows/messages.js';
import { VERIFIED_IDENTITY_REQUIRED } from '../../workflows/task-approvals.js';
import { fastPlan } from '../support/plans.js';
import { eventually } from '../support/temporal.js';
import {
  openLaunchPage,
  sendSignalFromUi,
  startUiHarness,
  UI_TIMEOUT,
  type UiHarness,
} from '../support/temporal-ui.js';

/** The approver guide's pictures are refreshed with UPDATE_SCREENSHOTS=1; otherwise they go to a temp dir. */
const SCREENSHOTS = process.env.UPDATE_SCREENSHOTS
  ? join(PROJECT_ROOT, 'docs', 'approvers')
  : join(tmpdir(), `launch-control-ui-${process.pid}`);
const VIEWPORT = { width: 1280, height: 800 };

let ui: UiHarness | undefined;

before(
  async () => {
    ui = await startUiHarness();
    mkdirSync(SCREENSHOTS, { recursive: true });
  },
  { timeout: 180_000 },
);

/** Every launch started here: one a failed test left running is ended first, or the worker's shutdown would wait for it. */
const launches: WorkflowHandle<typeof launch>[] = [];

after(
  async () => {
    await Promise.all(launches.map((h) => h.terminate('browser test over').catch(() => {})));
    await ui?.close();
  },
  { timeout: 60_000 },
);

/** Logs each step's duration as a test diagnostic. */
function stepTimer(t: TestContext) {
  const started = Date.now();
  let last = started;
  return (what: string) => {
    const now = Date.now();
    t.diagnostic(
      `${what}: ${((now - last) / 1000).toFixed(1)}s (total ${((now - started) / 1000).toFixed(1)}s)`,
    );
    last = now;
  };
}

/** A launch on the sandbox world, waiting for its go/no-go. */
async function startLaunchAwaitingGoNoGo(
  client: Client,
  taskQueue: string,
  plan: ReturnType<typeof fastPlan>,
) {
  const handle = await client.workflow.start<typeof launch>('launch', {
    taskQueue,
    workflowId: plan.launchId!,
    args: [{ plan }],
  });
  launches.push(handle);
  await eventually(
    () => handle.query(statusQuery),
    (s) => s.pendingApprovals.some((p) => p.signal === 'goNoGo'),
    'goNoGo pending',
  );
  return handle;
}

/** A page in a fresh browser context; on failure a screenshot of it is kept and named in the log. */
async function withPage(t: TestContext, name: string, use: (page: Page) => Promise<void>) {
  assert.ok(ui);
  const context = await ui.browser.newContext({ viewport: VIEWPORT });
  const page = await context.newPage();
  page.setDefaultTimeout(UI_TIMEOUT);
  try {
    await use(page);
  } catch (err) {
    const path = join(tmpdir(), `${name}-failure-${Date.now()}.png`);
    await page.screenshot({ path }).catch(() => {});
    t.diagnostic(`screenshot of the page at the failure: ${path}`);
    throw err;
  } finally {
    await context.close();
  }
}

/** The launch left the go/no-go wait: the checklist item passed, the phase moved on. */
async function assertPastGoNoGo(handle: WorkflowHandle<typeof launch>) {
  const checklist = await eventually(
    () => handle.query(checklistQuery),
    (c) => c['5.1.verification.go-no-go']?.status === 'passed',
    'go/no-go checklist item passed',
  );
  assert.equal(checklist['5.1.verification.go-no-go']?.status, 'passed');
  const status = await eventually(
    () => handle.query(statusQuery),
    (s) => s.phase !== 'READINESS',
    'phase after READINESS',
  );
  assert.ok(
    ['LOCKDOWN', 'ROLLBACK_DRILL', 'TRAFFIC'].includes(status.phase),
    `phase moved on, got ${status.phase}`,
  );
  assert.ok(!status.pendingApprovals.some((p) => p.signal === 'goNoGo'), 'no goNoGo pending');
  return status;
}

async function abortAndFinish(handle: WorkflowHandle<typeof launch>) {
  await handle.signal('abort', { by: 'sre-sam', reason: 'browser test over' });
  const result = await handle.result();
  assert.ok(['ABORTED', 'ROLLED_BACK'].includes(result.phase), `aborted, got ${result.phase}`);
  assert.equal(result.abort?.cause, 'operator-abort');
  return result;
}

test(
  'an approver sends the go/no-go from the Temporal UI and the launch moves on',
  { timeout: 180_000 },
  async (t) => {
    assert.ok(ui);
    const step = stepTimer(t);
    const service = 'ui-approval';
    // The approval deadline is longer than fastPlan's 60 s so that a slow machine cannot turn a
    // slow page into an approval timeout.
    const plan = fastPlan({
      service,
      launchId: 'ui-approval-launch',
      approvals: { ...fastPlan().approvals, timeout: '3m' },
    });
    const handle = await startLaunchAwaitingGoNoGo(ui.env.client, ui.taskQueue, plan);
    step('launch waiting for goNoGo');

    await withPage(t, 'ui-approval', async (page) => {
      const shot = (name: string) => page.screenshot({ path: join(SCREENSHOTS, name), type: 'png' });
      await openLaunchPage(page, { uiUrl: ui!.uiUrl, service, launchId: plan.launchId! }, shot);
      step('list filtered by LaunchService shows the launch, its page');
      await sendSignalFromUi(page, 'goNoGo', { by: 'alice', decision: 'go' }, shot);
      step('goNoGo sent through the signal dialog');
    });

    // The launch left the go/no-go wait because of that signal.
    const status = await assertPastGoNoGo(handle);
    const audit = await handle.query(auditQuery);
    const approval = audit.find((e) => e.action === 'goNoGo' && e.outcome === 'accepted');
    assert.ok(approval, 'goNoGo accepted in the audit log');
    assert.equal(approval.actor, 'alice');
    assert.equal(approval.via, 'signal');
    assert.equal(approval.identity, 'claimed');
    step(`launch moved on to ${status.phase}`);

    const result = await abortAndFinish(handle);
    step(`aborted: ${result.phase}`);
  },
);

/**
 * A history event as JSON text, every payload's bytes shown as the text they encode (the history
 * comes in proto JSON, where bytes are base64).
 */
function eventText(event: unknown): string {
  const text = (bytes: unknown) =>
    typeof bytes === 'string'
      ? Buffer.from(bytes, 'base64').toString('utf8')
      : bytes instanceof Uint8Array
        ? Buffer.from(bytes).toString('utf8')
        : bytes;
  return JSON.stringify(event, (_key, value) => {
    if (value && typeof value === 'object' && 'metadata' in value && 'data' in value)
      return {
        metadata: Object.fromEntries(Object.entries(value.metadata ?? {}).map(([k, v]) => [k, text(v)])),
        data: text(value.data),
      };
    return value;
  });
}

type HistoryEvent = NonNullable<Awaited<ReturnType<WorkflowHandle['fetchHistory']>>['events']>[number];

/** Every event of a workflow's history and of its children's, grandchildren's… (tagged by workflow id). */
async function historiesOf(
  client: Client,
  workflowId: string,
): Promise<{ workflowId: string; event: HistoryEvent }[]> {
  const history = await client.workflow.getHandle(workflowId).fetchHistory();
  const events = (history.events ?? []).map((event) => ({ workflowId, event }));
  const children = (history.events ?? [])
    .map((e) => e.childWorkflowExecutionStartedEventAttributes?.workflowExecution?.workflowId)
    .filter((id): id is string => typeof id === 'string');
  for (const child of new Set(children)) events.push(...(await historiesOf(client, child)));
  return events;
}

test(
  'under requireVerifiedIdentity a UI go/no-go needs the one-time code sent privately; the code stays out of history',
  { timeout: 240_000 },
  async (t) => {
    assert.ok(ui);
    const { world } = ui;
    const client = ui.env.client;
    const step = stepTimer(t);
    const service = 'ui-approval-code';
    const plan = fastPlan({
      service,
      launchId: 'ui-approval-code-launch',
      approvals: { ...fastPlan().approvals, timeout: '3m', codes: true, requireVerifiedIdentity: true },
    });
    const launchId = plan.launchId!;
    const handle = await startLaunchAwaitingGoNoGo(client, ui.taskQueue, plan);
    step('launch waiting for goNoGo');

    // Each eligible approver got their own code on their private channel.
    const codeSentTo = (person: string) => {
      const message = world.notifications.find(
        (n) => n.channel === `dm-${person}` && n.text.includes(launchId) && n.text.includes('goNoGo'),
      );
      return message?.text.match(/Your one-time approval code: ([A-Z2-7]{10})\b/)?.[1];
    };
    const aliceCode = codeSentTo('alice');
    const bobCode = codeSentTo('bob');
    assert.ok(aliceCode, "alice's code arrived on dm-alice");
    assert.ok(bobCode, "bob's code arrived on dm-bob");
    assert.notEqual(aliceCode, bobCode);
    assert.ok(
      world.notifications.every((n) => n.channel === 'dm-alice' || !n.text.includes(aliceCode)),
      "alice's code was sent nowhere but her private channel",
    );

    const goNoGoEntries = async () => (await handle.query(auditQuery)).filter((e) => e.action === 'goNoGo');
    const nextGoNoGoEntry = async (seen: number) =>
      (await eventually(goNoGoEntries, (es) => es.length > seen, 'a new goNoGo audit entry'))[seen]!;
    const assertStillWaiting = async () => {
      const status = await handle.query(statusQuery);
      assert.equal(status.phase, 'READINESS');
      assert.ok(
        status.pendingApprovals.some((p) => p.signal === 'goNoGo'),
        'goNoGo still pending',
      );
      assert.notEqual((await handle.query(checklistQuery))['5.1.verification.go-no-go']?.status, 'passed');
    };

    await withPage(t, 'ui-approval-code', async (page) => {
      await openLaunchPage(page, { uiUrl: ui!.uiUrl, service, launchId });
      step('launch page');

      // 1. Without a code: Temporal takes the signal, the launch refuses it and keeps waiting.
      await sendSignalFromUi(page, 'goNoGo', { by: 'alice', decision: 'go' });
      const claimed = await nextGoNoGoEntry(0);
      assert.equal(claimed.outcome, 'refused');
      assert.equal(claimed.actor, 'alice');
      assert.equal(claimed.identity, 'claimed');
      assert.equal(claimed.reason, VERIFIED_IDENTITY_REQUIRED);
      assert.ok(claimed.reason?.startsWith('this plan requires a verified identity'));
      await assertStillWaiting();
      step('goNoGo without a code: refused, still waiting');

      // 2. Someone else's code (bob's, under alice's name) is refused too.
      await sendSignalFromUi(page, 'goNoGo', { by: 'alice', decision: 'go', code: bobCode });
      const wrongCode = await nextGoNoGoEntry(1);
      assert.equal(wrongCode.outcome, 'refused');
      assert.equal(wrongCode.reason, 'the approval code does not match');
      await assertStillWaiting();
      step("goNoGo with bob's code as alice: refused, still waiting");

      // 3. With the code from her private channel: accepted, verified.
      // The approver guide shows this payload (its other pictures come from the first test).
      const shot = (name: string) =>
        name === '03-signal-payload.png'
          ? page.screenshot({ path: join(SCREENSHOTS, '05-signal-payload-with-code.png'), type: 'png' })
          : Promise.resolve();
      await sendSignalFromUi(page, 'goNoGo', { by: 'alice', decision: 'go', code: aliceCode }, shot);
      const verified = await nextGoNoGoEntry(2);
      assert.equal(verified.outcome, 'accepted', `accepted, got: ${verified.reason}`);
      assert.equal(verified.actor, 'alice');
      assert.equal(verified.via, 'signal');
      assert.equal(verified.identity, 'verified');
      assert.equal(verified.detail?.identityDetail, 'approval-code');
      step('goNoGo with her code: accepted, verified');
    });

    const status = await assertPastGoNoGo(handle);
    // No query answer carries a code (the audit keeps the payloads without it).
    const answers = JSON.stringify([
      status,
      await handle.query(auditQuery),
      await handle.query(checklistQuery),
    ]);
    assert.ok(!answers.includes(aliceCode) && !answers.includes(bobCode), 'no query answer carries a code');
    step(`launch moved on to ${status.phase}`);

    const result = await abortAndFinish(handle);
    step(`aborted: ${result.phase}`);

    // The whole history of the launch and of its tasks: the codes appear only in the signals
    // that carried them (what the UI sent), never in activity results, markers, task inputs or
    // results, search attributes or memos.
    const events = await historiesOf(client, launchId);
    assert.ok(
      events.some((e) => e.workflowId !== launchId),
      'the task histories are searched too',
    );
    for (const code of [aliceCode, bobCode]) {
      const carrying = events.filter((e) => eventText(e.event).includes(code));
      const signals = carrying.filter(
        (e) =>
          e.workflowId === launchId &&
          e.event.workflowExecutionSignaledEventAttributes?.signalName === 'goNoGo',
      );
      // The one UI signal that carried it: proof that the search sees payloads.
      assert.equal(signals.length, 1, `exactly one goNoGo signal carried ${code}`);
      assert.deepEqual(
        carrying
          .filter((e) => !signals.includes(e))
          .map((e) => `${e.workflowId} #${e.event.eventId}: ${JSON.parse(eventText(e.event)).eventType}`),
        [],
        'the code is in no other event',
      );
    }
    step(`${events.length} history events searched`);
  },
);
