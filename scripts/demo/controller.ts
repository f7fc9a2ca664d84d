/**
 * The deploy controller: an in-process HTTP server speaking the webhook-deployer, HTTP health and
 * HTTP integrity APIs Launch Control's adapters use (integrations/http/deployer-webhook.ts,
 * health.ts, integrity.ts):
 *
 *   POST /deploy {service, environment, slot, version}     → 200 {deploymentId, …} once healthy
 *   GET  /deployments/{service}/{environment}/{slot}      → {version, deploymentId, deployedAt}
 *   GET  /health/{service}/{environment}/{slot}           → the slot's own /health (503 if down)
 *   GET  /integrity/{service}/{environment}               → {acknowledged_writes, verified_writes, missing}
 */
import { readFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { DemoSlots } from './slots.js';
import {
  DEMO_SERVICE,
  isDemoEnvironment,
  isDemoSlot,
  isDemoVersion,
  VERSION_PROFILES,
  type DemoEnvironment,
} from './versions.js';

const MAX_BODY_BYTES = 10_000;

export type ControllerDeps = {
  slots: DemoSlots;
  slotPort(environment: DemoEnvironment, slot: 'stable' | 'canary'): number;
  ordersFile(environment: DemoEnvironment): string;
  acknowledgedOrders(environment: DemoEnvironment): ReadonlySet<string>;
};

class HttpProblem extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

function sendJson(response: ServerResponse, status: number, body: unknown): void {
  response.writeHead(status, { 'content-type': 'application/json' });
  response.end(JSON.stringify(body));
}

async function readJson(request: IncomingMessage): Promise<Record<string, unknown>> {
  let size = 0;
  const chunks: Buffer[] = [];
  for await (const chunk of request as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_BODY_BYTES) throw new HttpProblem(413, 'body too large');
    chunks.push(chunk);
  }
  try {
    const body: unknown = JSON.parse(Buffer.concat(chunks).toString('utf8'));
    if (typeof body === 'object' && body !== null && !Array.isArray(body))
      return body as Record<string, unknown>;
  } catch {
    // reported below
  }
  throw new HttpProblem(400, 'body must be a JSON object');
}

/** Validates service/environment[/slot] from a path or a body; unknown ones are 404s. */
function target(service: unknown, environment: unknown, slot?: unknown) {
  if (service !== DEMO_SERVICE) throw new HttpProblem(404, `unknown service ${JSON.stringify(service)}`);
  if (!isDemoEnvironment(environment)) {
    throw new HttpProblem(404, `unknown environment ${JSON.stringify(environment)} (production, staging)`);
  }
  if (slot !== undefined && !isDemoSlot(slot)) {
    throw new HttpProblem(404, `unknown slot ${JSON.stringify(slot)} (stable, canary)`);
  }
  return { service, environment, slot: slot as 'stable' | 'canary' };
}

/** Order ids in the environment's store; a torn last line (crash mid-write) is not a stored order. */
async function storedOrderIds(file: string): Promise<Set<string>> {
  let text = '';
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  const ids = new Set<string>();
  for (const line of text.split('\n')) {
    if (line.trim() === '') continue;
    try {
      const record = JSON.parse(line) as { id?: unknown };
      if (typeof record.id === 'string') ids.add(record.id);
    } catch {
      // not a complete record
    }
  }
  return ids;
}

async function route(deps: ControllerDeps, request: IncomingMessage, response: ServerResponse) {
  const url = new URL(request.url ?? '/', 'http://controller');
  let segments: string[];
  try {
    segments = url.pathname.split('/').filter(Boolean).map(decodeURIComponent);
  } catch {
    throw new HttpProblem(400, 'bad path encoding');
  }
  const [head, ...rest] = segments;
  const method = request.method ?? 'GET';

  if (method === 'POST' && head === 'deploy' && rest.length === 0) {
    const body = await readJson(request);
    const { environment, slot } = target(body.service, body.environment, body.slot ?? '');
    if (!isDemoVersion(body.version)) {
      const known = Object.keys(VERSION_PROFILES).join(', ');
      throw new HttpProblem(400, `unknown version ${JSON.stringify(body.version)} (known: ${known})`);
    }
    const deployment = await deps.slots
      .deploy(environment, slot, body.version, deps.slotPort(environment, slot))
      .catch((error: unknown) => {
        throw new HttpProblem(500, `deploy failed: ${(error as Error).message}`);
      });
    return sendJson(response, 200, { ...deployment, service: DEMO_SERVICE, environment, slot });
  }
  if (method === 'GET' && head === 'deployments' && rest.length === 3) {
    const { environment, slot } = target(rest[0], rest[1], rest[2]);
    const state = deps.slots.get(environment, slot);
    if (!state) throw new HttpProblem(503, `${environment}/${slot} has no running deployment`);
    const { version, deploymentId, deployedAt } = state;
    return sendJson(response, 200, {
      service: DEMO_SERVICE,
      environment,
      slot,
      version,
      deploymentId,
      deployedAt,
    });
  }
  if (method === 'GET' && head === 'health' && rest.length === 3) {
    const { environment, slot } = target(rest[0], rest[1], rest[2]);
    try {
      const slotHealth = await fetch(`http://127.0.0.1:${deps.slotPort(environment, slot)}/health`, {
        signal: AbortSignal.timeout(3_000),
      });
      response.writeHead(slotHealth.status, { 'content-type': 'application/json' });
      return response.end(await slotHealth.text());
    } catch (error) {
      const cause = (error as { cause?: { code?: string } }).cause?.code ?? (error as Error).message;
      return sendJson(response, 503, {
        status: 'down',
        error: `${environment}/${slot} unreachable: ${cause}`,
      });
    }
  }
  if (method === 'GET' && head === 'integrity' && rest.length === 2) {
    const { environment } = target(rest[0], rest[1]);
    // A snapshot taken before the file is read: every id in it was on disk before its 201, while
    // orders acknowledged during the read would show as missing (the live set keeps growing).
    const acknowledged = new Set(deps.acknowledgedOrders(environment));
    const stored = await storedOrderIds(deps.ordersFile(environment));
    let verified = 0;
    for (const id of acknowledged) if (stored.has(id)) verified += 1;
    return sendJson(response, 200, {
      acknowledged_writes: acknowledged.size,
      verified_writes: verified,
      missing: acknowledged.size - verified,
    });
  }
  if (method === 'GET' && segments.length === 0) {
    return sendJson(response, 200, {
      service: DEMO_SERVICE,
      routes: [
        'POST /deploy',
        'GET /deployments/:service/:env/:slot',
        'GET /health/:service/:env/:slot',
        'GET /integrity/:service/:env',
      ],
    });
  }
  throw new HttpProblem(404, `no route ${method} ${url.pathname}`);
}

/** Starts the controller on 127.0.0.1 (port 0: any free port). */
export async function startController(
  deps: ControllerDeps,
  port = 0,
): Promise<{ url: string; server: Server }> {
  const server = createServer((request, response) => {
    route(deps, request, response).catch((error: unknown) => {
      const status = error instanceof HttpProblem ? error.status : 500;
      if (!response.headersSent) sendJson(response, status, { error: (error as Error).message });
      else response.destroy();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve());
  });
  const address = server.address();
  if (typeof address !== 'object' || address === null) throw new Error('controller has no address');
  return { url: `http://127.0.0.1:${address.port}`, server };
}
