/**
 * With payload encryption on, the Temporal Web UI (served by the dev server, pointed at the API's
 * codec endpoint with `--ui-codec-endpoint`, as `npm start` does) still shows a launch's input:
 * in a real headless Chromium, the page calls `POST <api>/codec/decode` across origins (CORS) and
 * renders the plan, while Temporal itself holds only ciphertext.
 */
import { Client } from '@temporalio/client';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { DefaultLogger, Runtime, type Worker } from '@temporalio/worker';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, test } from 'node:test';
import type { Browser } from 'playwright-core';
import { startApi, type RunningApi } from '../../api/server.js';
import { launchPlanSchema } from '../../domain/plan.js';
import { createIntegrationRegistry } from '../../integrations/registry.js';
import { launchBrowser } from '../../scripts/browser.js';
import { freePorts } from '../../scripts/demo/processes.js';
import { resolveTemporalCli } from '../../scripts/temporal-cli.js';
import { AesGcmPayloadCodec, ENCRYPTED_ENCODING, parsePayloadKeys } from '../../worker/payload-codec.js';
import { clientExtras } from '../../worker/temporal-extras.js';
import { createLaunchWorker } from '../../worker/worker.js';
import { readiness } from '../../workflows/readiness.js';
import { ALL_SEARCH_ATTRIBUTES } from '../../workflows/search-attributes.js';
import { fastPlan } from '../support/plans.js';
import { startWorld, type World } from '../support/world.js';

const WORKFLOW_ID = 'ui-sealed/readiness';
/** The review owner's name: only in payloads, so only readable through the codec. */
const MARKER = 'sealed-owner-5309';
const UI_TIMEOUT = 30_000;

let env: TestWorkflowEnvironment | undefined;
let world: World | undefined;
let worker: Worker | undefined;
let running: Promise<void> | undefined;
let api: RunningApi | undefined;
let browser: Browser | undefined;
let uiUrl = '';

before(
  async () => {
    Runtime.install({ logger: new DefaultLogger('ERROR') });
    const [cli, [uiPort, apiPort]] = await Promise.all([resolveTemporalCli(), freePorts(2)]);
    const browserStarting = launchBrowser();
    browserStarting.catch(() => {});
    env = await TestWorkflowEnvironment.createLocal({
      server: {
        executable: { type: 'existing-path', path: cli },
        ip: '127.0.0.1',
        searchAttributes: ALL_SEARCH_ATTRIBUTES,
        ui: true,
        uiPort,
        extraArgs: ['--ui-codec-endpoint', `http://127.0.0.1:${apiPort}/codec`],
      },
    });
    uiUrl = `http://127.0.0.1:${uiPort}`;
    const codec = new AesGcmPayloadCodec(parsePayloadKeys(`ui:${randomBytes(32).toString('base64')}`));
    const namespace = env.namespace ?? 'default';
    const client = new Client({
      connection: env.connection,
      namespace,
      ...clientExtras({ payloadCodec: codec }),
    });
    world = await startWorld();
    worker = await createLaunchWorker({
      connection: env.nativeConnection,
      client,
      namespace,
      taskQueue: 'ui-sealed',
      integrations: createIntegrationRegistry(world.integrationsConfig()),
      extras: { payloadCodec: codec },
    });
    running = worker.run();
    api = await startApi({
      client,
      taskQueue: 'ui-sealed',
      port: apiPort!,
      logger: false,
      log: () => {},
      codec: { codec, namespace, corsOrigins: [uiUrl] },
    });
    const base = fastPlan({ service: 'ui-sealed' });
    await client.workflow.start(readiness, {
      taskQueue: 'ui-sealed',
      workflowId: WORKFLOW_ID,
      args: [
        {
          plan: launchPlanSchema.parse({ ...base, owners: { ...base.owners, review: MARKER } }),
          launchId: 'ui-sealed',
        },
      ],
    });
    browser = await browserStarting;
  },
  { timeout: 180_000 },
);

after(
  async () => {
    await browser?.close().catch(() => {});
    await api?.close();
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
  'the Temporal UI shows an encrypted launch through the API codec endpoint',
  { timeout: 120_000 },
  async () => {
    assert.ok(env && browser);
    const stored = await env.client.workflow.getHandle(WORKFLOW_ID).fetchHistory(); // no keys
    const input = stored.events![0]!.workflowExecutionStartedEventAttributes!.input!.payloads![0]!;
    assert.equal(new TextDecoder().decode(input.metadata!.encoding!), ENCRYPTED_ENCODING);

    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    const decodes: number[] = [];
    page.on('response', (response) => {
      if (response.url().endsWith('/codec/decode') && response.request().method() === 'POST')
        decodes.push(response.status());
    });
    await page.goto(`${uiUrl}/namespaces/default/workflows/${encodeURIComponent(WORKFLOW_ID)}`);
    await page.getByText(MARKER).first().waitFor({ timeout: UI_TIMEOUT });
    assert.ok(
      decodes.length > 0 && decodes.every((status) => status === 200),
      `decode calls: ${decodes.join(', ')}`,
    );
    await page.close();
  },
);
