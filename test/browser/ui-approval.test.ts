/**
 * An approver answers the go/no-go from the Temporal Web UI, in a real (headless) Chromium: the
 * list filtered by the `LaunchService` search attribute, the launch's page, the **Send a Signal**
 * dialog (signals and descriptions from the workflow's metadata), the JSON payload, Submit. The
 * launch must leave the go/no-go wait. Screenshots of each step go to `docs/approvers/` when
 * UPDATE_SCREENSHOTS=1 is set.
 *
 * A dev server with the UI on free loopback ports, the sandbox world and a worker built the way
 * `startHarness` does it (which starts the server without the UI).
 */
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { DefaultLogger, Runtime, type Worker } from '@temporalio/worker';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import type { Browser } from 'playwright-core';
import { createIntegrationRegistry } from '../../integrations/registry.js';
import { launchBrowser } from '../../scripts/browser.js';
import { PROJECT_ROOT, resolveTemporalCli } from '../../scripts/temporal-cli.js';
import { createLaunchWorker } from '../../worker/worker.js';
import type { launch } from '../../workflows/launch.js';
import { auditQuery, checklistQuery, SIGNAL_DESCRIPTIONS, statusQuery } from '../../workflows/messages.js';
import { ALL_SEARCH_ATTRIBUTES } from '../../workflows/search-attributes.js';
import { fastPlan } from '../support/plans.js';
import { eventually, KNOWN_BAD_VERSION, TEST_UI_URL } from '../support/temporal.js';
import { startWorld, type World } from '../support/world.js';

const SERVICE = 'ui-approval';
const LAUNCH_ID = 'ui-approval-launch';
const PAYLOAD = { by: 'alice', decision: 'go' };
/** The approver guide's pictures are refreshed with UPDATE_SCREENSHOTS=1; otherwise they go to a temp dir. */
const SCREENSHOTS = process.env.UPDATE_SCREENSHOTS
  ? join(PROJECT_ROOT, 'docs', 'approvers')
  : join(tmpdir(), `launch-control-ui-${process.pid}`);
const VIEWPORT = { width: 1280, height: 800 };
/** How long one UI element may take to show up. */
const UI_TIMEOUT = 20_000;

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

let env: TestWorkflowEnvironment | undefined;
let world: World | undefined;
let worker: Worker | undefined;
let running: Promise<void> | undefined;
let browser: Browser | undefined;
let uiUrl = '';
let taskQueue = '';

before(
  async () => {
    Runtime.install({ logger: new DefaultLogger('ERROR') });
    const [cli, uiPort] = await Promise.all([resolveTemporalCli(), freePort()]);
    // The browser starts while the server does (the first run may install Chromium first).
    const browserStarting = launchBrowser();
    browserStarting.catch(() => {});
    env = await TestWorkflowEnvironment.createLocal({
      server: {
        executable: { type: 'existing-path', path: cli },
        ip: '127.0.0.1',
        searchAttributes: ALL_SEARCH_ATTRIBUTES,
        ui: true,
        uiPort,
      },
    });
    uiUrl = `http://127.0.0.1:${uiPort}`;
    world = await startWorld();
    world.badVersions.add(KNOWN_BAD_VERSION);
    taskQueue = `lc-browser-${randomUUID().slice(0, 8)}`;
    worker = await createLaunchWorker({
      connection: env.nativeConnection,
      client: env.client,
      namespace: env.namespace ?? 'default',
      taskQueue,
      integrations: createIntegrationRegistry(world.integrationsConfig()),
      temporalUiUrl: TEST_UI_URL,
    });
    running = worker.run();
    browser = await browserStarting;
    mkdirSync(SCREENSHOTS, { recursive: true });
  },
  { timeout: 180_000 },
);

after(
  async () => {
    await browser?.close().catch(() => {});
    if (worker && running) {
      worker.shutdown();
      await running.catch(() => {});
    }
    await world?.close();
    await env?.teardown();
  },
  { timeout: 60_000 },
);

test(
  'an approver sends the go/no-go from the Temporal UI and the launch moves on',
  { timeout: 180_000 },
  async (t) => {
    assert.ok(env && browser);
    const client = env.client;
    const started = Date.now();
    let last = started;
    const step = (what: string) => {
      const now = Date.now();
      t.diagnostic(
        `${what}: ${((now - last) / 1000).toFixed(1)}s (total ${((now - started) / 1000).toFixed(1)}s)`,
      );
      last = now;
    };

    // A launch on the sandbox world, waiting for its go/no-go. The approval deadline is longer than
    // fastPlan's 60 s so that a slow machine cannot turn a slow page into an approval timeout.
    const plan = fastPlan({
      service: SERVICE,
      launchId: LAUNCH_ID,
      approvals: { ...fastPlan().approvals, timeout: '3m' },
    });
    const handle = await client.workflow.start<typeof launch>('launch', {
      taskQueue,
      workflowId: LAUNCH_ID,
      args: [{ plan }],
    });
    await eventually(
      () => handle.query(statusQuery),
      (s) => s.pendingApprovals.some((p) => p.signal === 'goNoGo'),
      'goNoGo pending',
    );
    step('launch waiting for goNoGo');

    const context = await browser.newContext({ viewport: VIEWPORT });
    const page = await context.newPage();
    page.setDefaultTimeout(UI_TIMEOUT);
    const shot = (name: string) => page.screenshot({ path: join(SCREENSHOTS, name), type: 'png' });
    try {
      // 1. The workflow list, filtered by the custom search attribute.
      const list = `${uiUrl}/namespaces/default/workflows?query=${encodeURIComponent(`LaunchService="${SERVICE}"`)}`;
      await page.goto(list);
      const row = page.getByRole('link', { name: LAUNCH_ID, exact: true });
      // Visibility is eventually consistent: a list fetched before the index caught up is reloaded.
      for (let attempt = 1; ; attempt++) {
        try {
          await row.waitFor({ timeout: 5_000 });
          break;
        } catch (err) {
          if (attempt >= 4) throw err;
          await page.reload();
        }
      }
      await shot('01-launch-list.png');
      step('list filtered by LaunchService shows the launch');

      // 2. The launch's page, its actions menu open on "Send a Signal".
      await row.click();
      await page.waitForURL(new RegExp(`/workflows/${LAUNCH_ID}/`));
      await page.getByRole('heading', { name: LAUNCH_ID }).waitFor();
      await page.getByRole('button', { name: 'More Actions' }).click();
      const sendSignal = page.getByRole('menuitem', { name: 'Send a Signal' });
      await sendSignal.hover();
      await shot('02-launch-page.png');
      step('launch page and its actions menu');

      // 3. The dialog lists the workflow's signals with their descriptions.
      await sendSignal.click();
      const dialog = page.getByRole('dialog', { name: 'Send a Signal' });
      await dialog.waitFor();
      await dialog.getByRole('button', { name: 'Select a signal' }).click();
      const option = dialog.getByRole('option', { name: /^goNoGo/ });
      await option.getByText(SIGNAL_DESCRIPTIONS.goNoGo, { exact: true }).waitFor();
      await option.hover();
      await shot('03-signal-dialog.png');
      await option.click();
      await dialog.getByRole('button', { name: 'goNoGo' }).waitFor();

      // The payload goes into the dialog's JSON editor (CodeMirror), which reformats it on blur: blur
      // first, or the layout shifts under the Submit click and the click is lost.
      const editor = dialog.locator('[role="textbox"][data-language="json"]');
      await editor.fill(JSON.stringify(PAYLOAD));
      await editor.blur();
      assert.deepEqual(JSON.parse((await editor.textContent()) ?? ''), PAYLOAD);
      await shot('03-signal-payload.png');
      step('signal dialog: goNoGo and its description, payload typed');

      // 4. Submit: the dialog closes and the UI confirms.
      await dialog.getByRole('button', { name: 'Submit' }).click();
      await dialog.waitFor({ state: 'hidden' });
      await page.getByText('Workflow signaled.').waitFor();
      await shot('04-after-signal.png');
      step('signal submitted');
    } catch (err) {
      const path = join(tmpdir(), `ui-approval-failure-${Date.now()}.png`);
      await page.screenshot({ path }).catch(() => {});
      t.diagnostic(`screenshot of the page at the failure: ${path}`);
      throw err;
    } finally {
      await context.close();
    }

    // The launch left the go/no-go wait because of that signal.
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
    const audit = await handle.query(auditQuery);
    const approval = audit.find((e) => e.action === 'goNoGo' && e.outcome === 'accepted');
    assert.ok(approval, 'goNoGo accepted in the audit log');
    assert.equal(approval.actor, 'alice');
    assert.equal(approval.via, 'signal');
    assert.equal(approval.identity, 'claimed');
    step(`launch moved on to ${status.phase}`);

    await handle.signal('abort', { by: 'sre-sam', reason: 'browser test over' });
    const result = await handle.result();
    assert.ok(['ABORTED', 'ROLLED_BACK'].includes(result.phase), `aborted, got ${result.phase}`);
    assert.equal(result.abort?.cause, 'operator-abort');
    step(`aborted: ${result.phase}`);
  },
);
