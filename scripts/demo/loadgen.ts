/**
 * The load generator: steady traffic through HAProxy's frontends, per environment, at a bounded rate
 * (timer-driven, with a cap on requests in flight so a slow build cannot pile requests up). Mostly
 * `GET /api/checkout`, about one in ten `POST /api/orders` with a unique id. It remembers recent
 * responses (by `X-Version` and status) and every order id acknowledged with a 201.
 */
import { randomUUID } from 'node:crypto';
import { Agent, request } from 'node:http';

const TICK_MS = 50;
const REQUEST_TIMEOUT_MS = 10_000;
/** How far back `canaryShare`/`stats` can look. */
export const LOADGEN_HISTORY_MS = 10 * 60_000;

type Outcome = { at: number; version: string | null; status: number | null };

export type LoadStats = {
  /** Requests that finished in the window (answered or not). */
  requests: number;
  /** Those answered by a demo service (carrying `X-Version`). */
  answered: number;
  byVersion: Record<string, number>;
  /** By HTTP status; `error` for requests that got no HTTP answer. */
  byStatus: Record<string, number>;
};

export type LoadGenerator = {
  /** Share (0..1) of requests answered in the last `windowMs` that `version` served; NaN if none answered. */
  canaryShare(environment: string, version: string, windowMs: number): number;
  /** Every order id a service acknowledged (201) in this environment since the start. */
  acknowledgedOrders(environment: string): ReadonlySet<string>;
  stats(environment: string, windowMs: number): LoadStats;
  /** Requests skipped because too many were in flight (the target is too slow for the rate). */
  skipped(environment: string): number;
  stop(): Promise<void>;
};

class EnvironmentLoad {
  readonly outcomes: Outcome[] = [];
  readonly acknowledged = new Set<string>();
  inFlight = 0;
  skipped = 0;
  private sequence = 0;
  private due = 0;
  private lastTick = performance.now();

  constructor(
    readonly environment: string,
    private readonly target: URL,
    private readonly rps: number,
    private readonly maxInFlight: number,
    private readonly orderShare: number,
    private readonly runId: string,
    private readonly agent: Agent,
  ) {}

  /** Sends the requests due since the last tick (so timer drift does not change the rate). */
  tick(): void {
    const now = performance.now();
    this.due = Math.min(this.due + ((now - this.lastTick) / 1000) * this.rps, this.rps); // ≤ 1 s of backlog
    this.lastTick = now;
    while (this.due >= 1) {
      this.due -= 1;
      if (this.inFlight >= this.maxInFlight) this.skipped += 1;
      else this.send();
    }
    this.prune();
  }

  private send(): void {
    const isOrder = Math.random() < this.orderShare;
    const orderId = isOrder ? `${this.environment}-${this.runId}-${++this.sequence}` : null;
    const body = orderId ? JSON.stringify({ id: orderId }) : undefined;
    this.inFlight += 1;
    let finished = false; // a request can report both a response and a later socket error
    const finish = (status: number | null, version: string | null) => {
      if (finished) return;
      finished = true;
      this.inFlight -= 1;
      this.outcomes.push({ at: Date.now(), status, version });
      if (orderId && status === 201) this.acknowledged.add(orderId);
    };
    const outgoing = request(
      new URL(isOrder ? '/api/orders' : '/api/checkout', this.target),
      {
        method: isOrder ? 'POST' : 'GET',
        agent: this.agent,
        timeout: REQUEST_TIMEOUT_MS,
        headers: body
          ? { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) }
          : {},
      },
      (response) => {
        const header = response.headers['x-version'];
        const version = typeof header === 'string' ? header : null;
        response.resume();
        response.on('end', () => finish(response.statusCode ?? null, version));
        response.on('error', () => finish(null, null));
      },
    );
    outgoing.on('timeout', () => outgoing.destroy(new Error('timeout')));
    outgoing.on('error', () => finish(null, null));
    outgoing.end(body);
  }

  private prune(): void {
    const cutoff = Date.now() - LOADGEN_HISTORY_MS;
    let drop = 0;
    while (drop < this.outcomes.length && this.outcomes[drop]!.at < cutoff) drop += 1;
    if (drop > 0) this.outcomes.splice(0, drop);
  }

  window(windowMs: number): Outcome[] {
    const since = Date.now() - windowMs;
    // Outcomes are in completion order: scan back from the newest.
    let first = this.outcomes.length;
    while (first > 0 && this.outcomes[first - 1]!.at >= since) first -= 1;
    return this.outcomes.slice(first);
  }
}

export function startLoadGenerator(opts: {
  /** Frontend base URL per environment. */
  targets: Record<string, string>;
  /** Requests per second per environment (default 20). */
  rps?: number;
  /** Share of requests that are orders (default 0.1). */
  orderShare?: number;
  maxInFlight?: number;
}): LoadGenerator {
  const rps = opts.rps ?? 20;
  if (!(rps > 0 && rps <= 500)) throw new Error(`load generator rate must be in (0, 500] rps, got ${rps}`);
  const agent = new Agent({ keepAlive: true, maxSockets: 64 });
  const runId = randomUUID().slice(0, 8);
  const loads = new Map(
    Object.entries(opts.targets).map(([environment, url]) => [
      environment,
      new EnvironmentLoad(
        environment,
        new URL(url),
        rps,
        opts.maxInFlight ?? 50,
        opts.orderShare ?? 0.1,
        runId,
        agent,
      ),
    ]),
  );
  const timer = setInterval(() => loads.forEach((load) => load.tick()), TICK_MS);
  timer.unref();

  const loadOf = (environment: string) => {
    const load = loads.get(environment);
    if (!load) throw new Error(`no load for environment ${environment}`);
    return load;
  };
  return {
    canaryShare(environment, version, windowMs) {
      const answered = loadOf(environment)
        .window(windowMs)
        .filter((outcome) => outcome.version !== null);
      if (answered.length === 0) return Number.NaN;
      return answered.filter((outcome) => outcome.version === version).length / answered.length;
    },
    acknowledgedOrders: (environment) => loadOf(environment).acknowledged,
    stats(environment, windowMs) {
      const stats: LoadStats = { requests: 0, answered: 0, byVersion: {}, byStatus: {} };
      for (const outcome of loadOf(environment).window(windowMs)) {
        stats.requests += 1;
        const status = outcome.status === null ? 'error' : String(outcome.status);
        stats.byStatus[status] = (stats.byStatus[status] ?? 0) + 1;
        if (outcome.version !== null) {
          stats.answered += 1;
          stats.byVersion[outcome.version] = (stats.byVersion[outcome.version] ?? 0) + 1;
        }
      }
      return stats;
    },
    skipped: (environment) => loadOf(environment).skipped,
    async stop() {
      clearInterval(timer);
      // Let requests in flight finish, so every acknowledged order is recorded.
      const deadline = Date.now() + REQUEST_TIMEOUT_MS;
      while ([...loads.values()].some((load) => load.inFlight > 0) && Date.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      agent.destroy();
    },
  };
}
