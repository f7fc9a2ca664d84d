/**
 * The demo service: a plain `node:http` server, one process per slot, started by the demo stack
 * (or by hand: `tsx scripts/demo/demo-service.ts --version=2.0.0 --port=8081`).
 *
 * Options come from the environment (VERSION, PORT, ENVIRONMENT, SLOT, ERROR_RATE, LATENCY_MS,
 * DATA_DIR, INSTANCE_ID) or from `--name=value` arguments (`--error-rate=0.5`), arguments winning.
 *
 *   GET  /health       200 {status:'ok', version, instance}
 *   GET  /api/checkout 200, or 500 at the version's error rate, after the version's latency
 *   POST /api/orders   {id} → appended to `${DATA_DIR}/${ENVIRONMENT}-orders.jsonl`, fsynced, then 201
 *   GET  /metrics      Prometheus text format
 *
 * Every response carries `X-Version`. Started with an IPC channel (by the stack), it reports
 * `binding`/`listening` to its parent and exits when the parent goes away, so it never outlives it.
 */
import { open, mkdir, type FileHandle } from 'node:fs/promises';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { join } from 'node:path';
import { ServiceMetrics } from './service-metrics.js';
import { isDemoVersion, profileOf, VERSION_PROFILES, type DemoVersion } from './versions.js';

const MAX_BODY_BYTES = 10_000;
const ORDER_ID_PATTERN = /^[A-Za-z0-9._:-]{1,200}$/;
const BIND_RETRY_MS = 25;
const BIND_TIMEOUT_MS = 30_000;
const SHUTDOWN_GRACE_MS = 3_000;

type ServiceOptions = {
  version: DemoVersion;
  port: number;
  environment: string;
  slot: string;
  errorRate: number;
  latencyMs: number;
  dataDir: string;
  instance: string;
};

function readOptions(argv: string[], env: NodeJS.ProcessEnv): ServiceOptions {
  const values: Record<string, string | undefined> = {
    VERSION: env.VERSION,
    PORT: env.PORT,
    ENVIRONMENT: env.ENVIRONMENT,
    SLOT: env.SLOT,
    ERROR_RATE: env.ERROR_RATE,
    LATENCY_MS: env.LATENCY_MS,
    DATA_DIR: env.DATA_DIR,
    INSTANCE_ID: env.INSTANCE_ID,
  };
  for (const arg of argv) {
    const match = /^--([a-z-]+)=(.*)$/.exec(arg);
    if (!match) throw new Error(`unexpected argument ${arg} (use --name=value)`);
    const key = match[1]!.toUpperCase().replace(/-/g, '_');
    const name = key === 'INSTANCE' ? 'INSTANCE_ID' : key;
    if (!(name in values)) throw new Error(`unknown option --${match[1]}`);
    values[name] = match[2];
  }
  const version = values.VERSION ?? '1.0.0';
  if (!isDemoVersion(version))
    throw new Error(`unknown version ${version} (${Object.keys(VERSION_PROFILES).join(', ')})`);
  const profile = profileOf(version);
  const number = (name: string, fallback: number, min: number, max: number) => {
    const raw = values[name];
    if (raw === undefined || raw === '') return fallback;
    const value = Number(raw);
    if (!Number.isFinite(value) || value < min || value > max) {
      throw new Error(`${name} must be a number in ${min}..${max}, got ${raw}`);
    }
    return value;
  };
  return {
    version,
    port: number('PORT', 0, 0, 65_535),
    environment: values.ENVIRONMENT ?? 'production',
    slot: values.SLOT ?? 'stable',
    errorRate: number('ERROR_RATE', profile.errorRate, 0, 1),
    latencyMs: number('LATENCY_MS', profile.latencyMs, 0, 60_000),
    dataDir: values.DATA_DIR ?? join(process.cwd(), '.data', 'demo'),
    instance: values.INSTANCE_ID ?? `${process.pid}`,
  };
}

/** The environment's order store: JSON lines, appended with O_APPEND by every version, fsynced. */
class OrderStore {
  private handle: Promise<FileHandle> | null = null;
  private queue: Promise<unknown> = Promise.resolve();

  constructor(readonly path: string) {}

  /** Resolves only once the line is on disk; rejects if it is not. */
  append(record: object): Promise<void> {
    const write = this.queue.then(async () => {
      this.handle ??= open(this.path, 'a');
      const handle = await this.handle;
      await handle.write(`${JSON.stringify(record)}\n`);
      await handle.datasync();
    });
    this.queue = write.catch(() => undefined);
    return write;
  }
}

function readBody(request: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    request.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) reject(new Error('body too large'));
      else chunks.push(chunk);
    });
    request.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    request.on('error', reject);
  });
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function main() {
  const options = readOptions(process.argv.slice(2), process.env);
  await mkdir(options.dataDir, { recursive: true });
  const store = new OrderStore(join(options.dataDir, `${options.environment}-orders.jsonl`));
  const metrics = new ServiceMetrics({
    environment: options.environment,
    slot: options.slot,
    version: options.version,
  });
  // ±25 % jitter so the latency histogram is a spread, not a spike.
  const apiLatency = () => sleep(options.latencyMs * (0.75 + Math.random() * 0.5));
  const failsNow = () => Math.random() < options.errorRate;

  const send = (response: ServerResponse, status: number, body: unknown) => {
    response.writeHead(status, { 'content-type': 'application/json' });
    response.end(JSON.stringify(body));
  };

  async function handleApi(request: IncomingMessage, response: ServerResponse, path: string) {
    const started = performance.now();
    let status = 404;
    try {
      if (path === '/api/checkout' && request.method === 'GET') {
        await apiLatency();
        status = failsNow() ? 500 : 200;
        send(response, status, status === 200 ? { ok: true, version: options.version } : { error: 'boom' });
      } else if (path === '/api/orders' && request.method === 'POST') {
        let id: unknown;
        try {
          id = (JSON.parse(await readBody(request)) as { id?: unknown } | null)?.id;
        } catch {
          id = undefined;
        }
        if (typeof id !== 'string' || !ORDER_ID_PATTERN.test(id)) {
          status = 400;
          send(response, status, { error: 'body must be JSON {"id": "<1-200 of A-Z a-z 0-9 . _ : ->"}' });
          return;
        }
        await apiLatency();
        // A failing request fails before the write: nothing is acknowledged that was not stored.
        if (failsNow()) {
          status = 500;
          send(response, status, { error: 'boom', stored: false });
          return;
        }
        try {
          await store.append({
            id,
            version: options.version,
            slot: options.slot,
            at: new Date().toISOString(),
          });
        } catch (error) {
          status = 500;
          send(response, status, { error: `not stored: ${(error as Error).message}`, stored: false });
          return;
        }
        metrics.recordOrder();
        status = 201;
        send(response, status, { id, stored: true, version: options.version });
      } else {
        send(response, status, { error: `no route ${request.method} ${path}` });
      }
    } finally {
      metrics.recordRequest(status, (performance.now() - started) / 1000);
    }
  }

  const server = createServer((request, response) => {
    response.setHeader('X-Version', options.version);
    response.setHeader('X-Slot', options.slot);
    const path = new URL(request.url ?? '/', 'http://demo').pathname;
    if (path === '/health') {
      send(response, 200, { status: 'ok', version: options.version, instance: options.instance });
    } else if (path === '/metrics') {
      response.writeHead(200, { 'content-type': 'text/plain; version=0.0.4' });
      response.end(metrics.render());
    } else if (path.startsWith('/api/')) {
      handleApi(request, response, path).catch((error: unknown) => {
        if (!response.headersSent) send(response, 500, { error: (error as Error).message });
        else response.destroy();
      });
    } else {
      send(response, 404, { error: 'not found' });
    }
  });
  // Longer than HAProxy keeps idle server connections, so HAProxy closes them first (no reset races).
  server.keepAliveTimeout = 65_000;

  let stopping = false;
  const stop = () => {
    if (stopping) return;
    stopping = true;
    server.close(() => process.exit(0)); // in-flight requests (and their order writes) finish first
    server.closeIdleConnections();
    setTimeout(() => process.exit(0), SHUTDOWN_GRACE_MS).unref();
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
  process.on('disconnect', stop); // the stack that started us is gone

  // The slot's previous process may still hold the port during a deploy: retry until it lets go.
  process.send?.({ type: 'binding' });
  const deadline = Date.now() + BIND_TIMEOUT_MS;
  for (;;) {
    try {
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(options.port, '127.0.0.1', () => {
          server.off('error', reject);
          resolve();
        });
      });
      break;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EADDRINUSE' || Date.now() > deadline) throw error;
      await sleep(BIND_RETRY_MS);
    }
  }
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : options.port;
  process.send?.({ type: 'listening', port });
  console.log(
    `[demo-service] ${options.environment}/${options.slot} ${options.version} on 127.0.0.1:${port}` +
      ` (error rate ${options.errorRate}, latency ${options.latencyMs} ms, orders ${store.path})`,
  );
}

main().catch((error: unknown) => {
  console.error(`[demo-service] ${(error as Error).message}`);
  process.exit(1);
});
