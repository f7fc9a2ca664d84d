/**
 * Production options, end to end on a real dev server: with `LAUNCH_CONTROL_PAYLOAD_KEYS` Temporal
 * stores only ciphertext and the API's codec endpoint opens it for authorized callers (the Temporal
 * UI's path); with an OTLP endpoint, one trace runs from the client's start through the workflow to
 * its activities, exported over real OTLP/HTTP to a local receiver.
 */
import { Client } from '@temporalio/client';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import type { Worker } from '@temporalio/worker';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import { after, before, test } from 'node:test';
import { buildApp } from '../../api/app.js';
import { hashToken, type AuthConfig } from '../../api/auth.js';
import { launchPlanSchema } from '../../domain/plan.js';
import { createIntegrationRegistry } from '../../integrations/registry.js';
import { freePorts } from '../../scripts/demo/processes.js';
import { resolveTemporalCli } from '../../scripts/temporal-cli.js';
import { AesGcmPayloadCodec, ENCRYPTED_ENCODING, parsePayloadKeys } from '../../worker/payload-codec.js';
import { clientExtras, type TemporalExtras } from '../../worker/temporal-extras.js';
import { startTracing } from '../../worker/tracing.js';
import { createLaunchWorker } from '../../worker/worker.js';
import { checklistQuery } from '../../workflows/messages.js';
import { readiness } from '../../workflows/readiness.js';
import { ALL_SEARCH_ATTRIBUTES } from '../../workflows/search-attributes.js';
import { fastPlan } from '../support/plans.js';
import { eventually } from '../support/temporal.js';
import { startWorld, type World } from '../support/world.js';

type OtlpSpan = { traceId: string; spanId: string; parentSpanId?: string; name: string };

/** A real OTLP/HTTP (JSON) traces receiver: what a collector would get. */
async function startOtlpReceiver() {
  const spans: OtlpSpan[] = [];
  const services = new Set<string>();
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      if (req.url === '/v1/traces' && req.headers['content-type']?.includes('json')) {
        const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as {
          resourceSpans: {
            resource: { attributes: { key: string; value: { stringValue?: string } }[] };
            scopeSpans: { spans: OtlpSpan[] }[];
          }[];
        };
        for (const rs of body.resourceSpans) {
          for (const a of rs.resource.attributes)
            if (a.key === 'service.name') services.add(a.value.stringValue!);
          for (const ss of rs.scopeSpans) spans.push(...ss.spans);
        }
      }
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  const [port] = await freePorts(1);
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${port}/v1/traces`,
    spans,
    services,
    close: () => new Promise((resolve) => server.close(resolve)),
  };
}

const TOKENS = {
  viewer: 'viewer-token-victor-0123456789abcdef0000',
  approver: 'approver-token-alice-0123456789abcd',
};
const AUTH: AuthConfig = {
  tokens: [
    { subject: 'victor', roles: ['viewer'], tokenSha256: hashToken(TOKENS.viewer) },
    { subject: 'alice', roles: ['approver'], tokenSha256: hashToken(TOKENS.approver) },
  ],
};
const UI_ORIGIN = 'http://temporal-ui.test:8233';
const WORKFLOW_ID = 'sealed-ready/readiness';
/** Only in payloads (the review owner's name in the plan), never in ids or search attributes. */
const MARKER = 'needle-only-in-payloads-4711';

let env: TestWorkflowEnvironment;
let world: World;
let worker: Worker;
let running: Promise<void>;
let receiver: Awaited<ReturnType<typeof startOtlpReceiver>>;
let extras: Required<TemporalExtras>;
let client: Client;

before(async () => {
  const path = await resolveTemporalCli();
  env = await TestWorkflowEnvironment.createLocal({
    server: {
      executable: { type: 'existing-path', path },
      ip: '127.0.0.1',
      searchAttributes: ALL_SEARCH_ATTRIBUTES,
      ui: false,
    },
  });
  world = await startWorld();
  receiver = await startOtlpReceiver();
  extras = {
    payloadCodec: new AesGcmPayloadCodec(parsePayloadKeys(`test-1:${randomBytes(32).toString('base64')}`)),
    tracing: startTracing({ endpoint: receiver.url, serviceName: 'launch-control-test' }),
  };
  client = new Client({
    connection: env.connection,
    namespace: env.namespace ?? 'default',
    ...clientExtras(extras),
  });
  worker = await createLaunchWorker({
    connection: env.nativeConnection,
    client,
    namespace: env.namespace ?? 'default',
    taskQueue: 'sealed',
    integrations: createIntegrationRegistry(world.integrationsConfig()),
    extras,
  });
  running = worker.run();

  // One standalone readiness review: checks (activities), a refused and an accepted signal.
  const base = fastPlan({ service: 'sealed-ready' });
  const plan = launchPlanSchema.parse({ ...base, owners: { ...base.owners, review: MARKER } });
  const handle = await client.workflow.start(readiness, {
    taskQueue: 'sealed',
    workflowId: WORKFLOW_ID,
    args: [{ plan, launchId: 'sealed-ready' }],
  });
  await eventually(
    () => handle.query(checklistQuery),
    (c) => c['5.1.verification.review-conducted']?.status === 'passed',
    'review conducted',
  );
  await handle.signal('goNoGo', { by: 'bob', decision: 'go' });
  assert.equal((await handle.result()).decidedBy, 'bob');
  // Exports what is buffered (workflow spans come through the worker's sink).
  await extras.tracing.shutdown();
});

after(async () => {
  worker?.shutdown();
  await running;
  await receiver?.close();
  await world?.close();
  await env?.teardown();
});

/**
 * Every payload in a history, except search attributes (indexed, so never encoded by design) and
 * the SDK core's own bookkeeping in a local activity's marker (`details.data`: sequence number,
 * attempt, activity type, times; never user data). The local activity's result is encrypted.
 */
function payloadsOf(node: unknown, out: Record<string, unknown>[] = []): Record<string, unknown>[] {
  if (Array.isArray(node)) for (const item of node) payloadsOf(item, out);
  else if (node && typeof node === 'object') {
    const localActivityMarker = (node as { markerName?: string }).markerName === 'core_local_activity';
    for (const [key, value] of Object.entries(node)) {
      if (key === 'searchAttributes') continue;
      if (localActivityMarker && key === 'details') {
        payloadsOf((value as { result?: unknown }).result, out);
        continue;
      }
      if (key === 'payloads' && Array.isArray(value)) out.push(...(value as Record<string, unknown>[]));
      else payloadsOf(value, out);
    }
  }
  return out;
}

test('Temporal stores only ciphertext: every payload of the history is encrypted', async () => {
  const raw = await env.client.workflow.getHandle(WORKFLOW_ID).fetchHistory(); // a client without keys
  const payloads = payloadsOf(raw);
  assert.ok(payloads.length >= 10, `payloads found (${payloads.length})`);
  for (const p of payloads) {
    const metadata = p.metadata as Record<string, Uint8Array>;
    assert.equal(new TextDecoder().decode(metadata.encoding), ENCRYPTED_ENCODING);
  }
  const everything = Buffer.from(
    JSON.stringify(raw, (_k, v: unknown) =>
      v instanceof Uint8Array ? Buffer.from(v).toString('latin1') : v,
    ),
  );
  assert.ok(!everything.includes(MARKER), 'the plan text appears nowhere in the stored history');
});

test('the codec endpoint opens payloads for viewers, encodes for approvers, refuses the rest', async () => {
  const app = buildApp({
    client,
    taskQueue: 'sealed',
    auth: AUTH,
    codec: { codec: extras.payloadCodec, namespace: env.namespace ?? 'default', corsOrigins: [UI_ORIGIN] },
  });
  const raw = await env.client.workflow.getHandle(WORKFLOW_ID).fetchHistory();
  const started = raw.events![0]!.workflowExecutionStartedEventAttributes!.input!.payloads![0]!;
  const asJson = {
    metadata: Object.fromEntries(
      Object.entries(started.metadata ?? {}).map(([k, v]) => [k, Buffer.from(v!).toString('base64')]),
    ),
    data: Buffer.from(started.data!).toString('base64'),
  };
  const call = (path: string, headers: Record<string, string>, payloads: unknown[] = [asJson]) =>
    app.inject({
      method: 'POST',
      url: path,
      headers: { 'content-type': 'application/json', ...headers },
      payload: { payloads },
    });

  const decoded = await call('/codec/decode', {
    authorization: `Bearer ${TOKENS.viewer}`,
    'x-namespace': 'default',
    origin: UI_ORIGIN,
  });
  assert.equal(decoded.statusCode, 200, decoded.body);
  assert.equal(decoded.headers['access-control-allow-origin'], UI_ORIGIN);
  const [opened] = decoded.json<{ payloads: { metadata: Record<string, string>; data: string }[] }>()
    .payloads;
  assert.equal(Buffer.from(opened!.metadata.encoding!, 'base64').toString(), 'json/plain');
  assert.ok(Buffer.from(opened!.data, 'base64').toString().includes(MARKER));

  assert.equal((await call('/codec/decode', {})).statusCode, 401);
  assert.equal(
    (await call('/codec/encode', { authorization: `Bearer ${TOKENS.viewer}` }, [opened])).statusCode,
    403,
  );
  const encoded = await call('/codec/encode', { authorization: `Bearer ${TOKENS.approver}` }, [opened]);
  assert.equal(encoded.statusCode, 200);
  const [sealed] = encoded.json<{ payloads: { metadata: Record<string, string> }[] }>().payloads;
  assert.equal(Buffer.from(sealed!.metadata.encoding!, 'base64').toString(), ENCRYPTED_ENCODING);

  const otherNamespace = await call('/codec/decode', {
    authorization: `Bearer ${TOKENS.viewer}`,
    'x-namespace': 'payments',
  });
  assert.equal(otherNamespace.statusCode, 400);
  assert.match(otherNamespace.json<{ message: string }>().message, /X-Namespace/);
  const tampered = await call('/codec/decode', { authorization: `Bearer ${TOKENS.viewer}` }, [
    { ...asJson, data: Buffer.from('x'.repeat(40)).toString('base64') },
  ]);
  assert.equal(
    tampered.statusCode,
    400,
    'a payload that does not authenticate is the caller’s error, not a 500',
  );

  const preflight = (origin: string) =>
    app.inject({
      method: 'OPTIONS',
      url: '/codec/decode',
      headers: { origin, 'access-control-request-method': 'POST' },
    });
  const allowed = await preflight(UI_ORIGIN);
  assert.equal(allowed.statusCode, 204);
  assert.match(String(allowed.headers['access-control-allow-headers']), /authorization/);
  assert.equal((await preflight('http://evil.test')).headers['access-control-allow-origin'], undefined);
  await app.close();
});

test('one trace runs from the client through the workflow to its activities, over OTLP', () => {
  assert.ok(receiver.services.has('launch-control-test'));
  const names = new Set(receiver.spans.map((s) => s.name));
  for (const name of [
    'StartWorkflow:readiness',
    'RunWorkflow:readiness',
    'SignalWorkflow:goNoGo',
    'HandleSignal:goNoGo',
  ]) {
    assert.ok(names.has(name), `${name} in ${[...names].join(', ')}`);
  }
  const start = receiver.spans.find((s) => s.name === 'StartWorkflow:readiness')!;
  const activities = receiver.spans.filter((s) => s.name.startsWith('RunActivity:'));
  assert.ok(activities.length >= 3, `activity spans (${activities.length})`);
  // The go/no-go is checked by an activity run from the signal's handler: it belongs to the signal's trace.
  const signal = receiver.spans.find((s) => s.name === 'SignalWorkflow:goNoGo')!;
  const claimCheck = activities.filter((s) => s.name === 'RunActivity:checkApprovalClaim');
  assert.ok(claimCheck.length > 0, 'the approval was checked in an activity');
  for (const span of claimCheck)
    assert.equal(span.traceId, signal.traceId, `${span.name} belongs to the signal's trace`);
  const ofTheStart = activities.filter((s) => !claimCheck.includes(s));
  for (const span of [...ofTheStart, receiver.spans.find((s) => s.name === 'RunWorkflow:readiness')!]) {
    assert.equal(span.traceId, start.traceId, `${span.name} belongs to the start's trace`);
  }
});
