/**
 * The browser tests' setup and the Temporal Web UI steps an approver takes, in a real (headless)
 * Chromium: a dev server with the UI on free loopback ports, the sandbox world, a worker built the
 * way `startHarness` builds it (which starts the server without the UI), and helpers that open a
 * launch's page and send a signal through the **Send a Signal** dialog.
 *
 * Importing ./temporal.js sets the process's LAUNCH_CONTROL_IDENTITY_KEY, which the worker reads:
 * approval codes are minted and checked with it.
 */
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { DefaultLogger, Runtime, type Worker } from '@temporalio/worker';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { createServer } from 'node:net';
import type { Browser, Page } from 'playwright-core';
import { createIntegrationRegistry } from '../../integrations/registry.js';
import { launchBrowser } from '../../scripts/browser.js';
import { resolveTemporalCli } from '../../scripts/temporal-cli.js';
import { createLaunchWorker } from '../../worker/worker.js';
import { SIGNAL_DESCRIPTIONS } from '../../workflows/messages.js';
import { ALL_SEARCH_ATTRIBUTES } from '../../workflows/search-attributes.js';
import { KNOWN_BAD_VERSION, TEST_UI_URL } from './temporal.js';
import { startWorld, type World } from './world.js';

/** How long one UI element may take to show up. */
export const UI_TIMEOUT = 20_000;

export type UiHarness = {
  env: TestWorkflowEnvironment;
  world: World;
  browser: Browser;
  uiUrl: string;
  taskQueue: string;
  close(): Promise<void>;
};

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

export async function startUiHarness(): Promise<UiHarness> {
  Runtime.install({ logger: new DefaultLogger('ERROR') });
  const [cli, uiPort] = await Promise.all([resolveTemporalCli(), freePort()]);
  // The browser starts while the server does (the first run may install Chromium first).
  const browserStarting = launchBrowser();
  browserStarting.catch(() => {});
  let env: TestWorkflowEnvironment | undefined;
  let world: World | undefined;
  let worker: Worker | undefined;
  let running: Promise<void> | undefined;
  let browser: Browser | undefined;
  const close = async () => {
    await browser?.close().catch(() => {});
    if (worker && running) {
      worker.shutdown();
      await running.catch(() => {});
    }
    await world?.close();
    await env?.teardown();
  };
  try {
    env = await TestWorkflowEnvironment.createLocal({
      server: {
        executable: { type: 'existing-path', path: cli },
        ip: '127.0.0.1',
        searchAttributes: ALL_SEARCH_ATTRIBUTES,
        ui: true,
        uiPort,
      },
    });
    world = await startWorld();
    world.badVersions.add(KNOWN_BAD_VERSION);
    const taskQueue = `lc-browser-${randomUUID().slice(0, 8)}`;
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
    return { env, world, browser, uiUrl: `http://127.0.0.1:${uiPort}`, taskQueue, close };
  } catch (err) {
    await close();
    throw err;
  }
}

/** Called after each step, with the approver guide's picture name for it (see docs/approvers.md). */
export type Shot = (name: string) => Promise<unknown>;
const noShot: Shot = async () => {};

/** The workflow list filtered by the `LaunchService` search attribute, then the launch's page. */
export async function openLaunchPage(
  page: Page,
  where: { uiUrl: string; service: string; launchId: string },
  shot: Shot = noShot,
): Promise<void> {
  const query = encodeURIComponent(`LaunchService="${where.service}"`);
  await page.goto(`${where.uiUrl}/namespaces/default/workflows?query=${query}`);
  const row = page.getByRole('link', { name: where.launchId, exact: true });
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
  await row.click();
  await page.waitForURL(new RegExp(`/workflows/${where.launchId}/`));
  await page.getByRole('heading', { name: where.launchId }).waitFor();
}

/**
 * From the launch's page: actions menu → Send a Signal → pick the signal (its description is
 * shown) → JSON payload → Submit. Resolves once the UI confirms "Workflow signaled.", which only
 * means Temporal took the signal: whether the launch accepted it is in its audit log.
 */
export async function sendSignalFromUi(
  page: Page,
  signal: keyof typeof SIGNAL_DESCRIPTIONS,
  payload: Record<string, unknown>,
  shot: Shot = noShot,
): Promise<void> {
  // The confirmation of an earlier send must be gone (it goes on its own after a few seconds;
  // its Close button moves while it slides out), so the one awaited below is this send's.
  const toast = page.locator('#workflow-signal-success-toast');
  await toast.waitFor({ state: 'detached', timeout: 30_000 });
  await page.getByRole('button', { name: 'More Actions' }).click();
  const sendSignal = page.getByRole('menuitem', { name: 'Send a Signal' });
  await sendSignal.hover();
  await shot('02-launch-page.png');

  await sendSignal.click();
  const dialog = page.getByRole('dialog', { name: 'Send a Signal' });
  await dialog.waitFor();
  await dialog.getByRole('button', { name: 'Select a signal' }).click();
  const option = dialog.getByRole('option', { name: new RegExp(`^${signal}`) });
  await option.getByText(SIGNAL_DESCRIPTIONS[signal], { exact: true }).waitFor();
  await option.hover();
  await shot('03-signal-dialog.png');
  await option.click();
  await dialog.getByRole('button', { name: signal }).waitFor();

  // The payload goes into the dialog's JSON editor (CodeMirror), which reformats it on blur: blur
  // first, or the layout shifts under the Submit click and the click is lost.
  const editor = dialog.locator('[role="textbox"][data-language="json"]');
  await editor.fill(JSON.stringify(payload));
  await editor.blur();
  assert.deepEqual(JSON.parse((await editor.textContent()) ?? ''), payload);
  await shot('03-signal-payload.png');

  await dialog.getByRole('button', { name: 'Submit' }).click();
  await dialog.waitFor({ state: 'hidden' });
  await toast.getByText('Workflow signaled.').waitFor();
  await shot('04-after-signal.png');
}
