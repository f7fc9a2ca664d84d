/**
 * The OpenAPI document at `/openapi.json` and Swagger UI at `/docs`: every route fastify has is
 * documented and every documented route exists, the document is well-formed OpenAPI 3, and the
 * docs page loads only this server's assets. No Temporal needed: these routes never call it.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { Client, Connection } from '@temporalio/client';
import type { FastifyInstance } from 'fastify';
import { buildApp } from '../../api/app.js';
import { hashToken, ROLES } from '../../api/auth.js';
import { examplePayload, SIGNAL_NAMES } from '../../domain/messages.js';
import { checkPlan } from '../../domain/plan.js';

let connection: Connection;
let app: FastifyInstance;
/** Every route fastify registered, as `METHOD /path/{param}`, seen through an `onRoute` hook. */
const registered: string[] = [];
type Spec = {
  openapi: string;
  info: { title: string; version: string };
  paths: Record<string, Record<string, any>>;
  components: { schemas: Record<string, unknown>; responses: Record<string, unknown>; securitySchemes: any };
  security: unknown[];
};
let spec: Spec;

const HTTP_METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'];

before(async () => {
  // Nothing listens on port 1: these routes must answer without Temporal.
  connection = Connection.lazy({ address: '127.0.0.1:1' });
  app = buildApp({
    client: new Client({ connection }),
    taskQueue: 'none',
    auth: { tokens: [{ subject: 'victor', roles: ['viewer'], tokenSha256: hashToken('v'.repeat(40)) }] },
  });
  app.addHook('onRoute', (route) => {
    for (const method of [route.method].flat())
      registered.push(`${method} ${route.url.replace(/:([A-Za-z0-9_]+)/g, '{$1}')}`);
  });
  await app.ready();
  const res = await app.inject({ url: '/openapi.json' });
  assert.equal(res.statusCode, 200, 'the document is public');
  spec = res.json();
});
after(async () => {
  await app?.close();
  await connection?.close();
});

const documented = () =>
  Object.entries(spec.paths).flatMap(([path, item]) =>
    Object.keys(item)
      .filter((m) => HTTP_METHODS.includes(m))
      .map((m) => `${m.toUpperCase()} ${path}`),
  );

test('every route fastify registered is in the document, and every documented route exists', () => {
  assert.ok(registered.length >= 10, registered.join(', '));
  const ops = new Set(documented());
  for (const route of registered) {
    // Fastify answers HEAD for every GET by itself; the GET documents it.
    const key = route.startsWith('HEAD ') ? route.replace(/^HEAD /, 'GET ') : route;
    assert.ok(ops.has(key), `${route} is registered but not documented`);
  }
  const routes = new Set(registered);
  for (const op of ops) assert.ok(routes.has(op), `${op} is documented but not registered`);
  // The contract's routes (DESIGN §9), as a floor.
  for (const op of [
    'POST /launches',
    'GET /launches',
    'GET /launches/{id}',
    'GET /launches/{id}/checklist',
    'GET /launches/{id}/audit',
    'POST /launches/{id}/signals/{name}',
    'POST /launches/{id}/abort',
    'POST /launches/{id}/signals/abort',
    'POST /freeze/requests',
    'GET /healthz',
    'GET /openapi.json',
    'GET /docs',
  ])
    assert.ok(ops.has(op), `${op} documented`);
  // printRoutes agrees on the paths.
  const printed = app.printRoutes({ commonPrefix: false });
  for (const path of Object.keys(spec.paths)) {
    const last = path
      .split('/')
      .pop()!
      .replace(/\{(\w+)\}/, ':$1');
    assert.ok(printed.includes(last), `${path} in printRoutes`);
  }
});

test('the document is well-formed OpenAPI 3.1: info, paths, components, security, resolvable refs', () => {
  assert.match(spec.openapi, /^3\.1\.\d+$/);
  assert.equal(spec.info.title, 'Launch Control API');
  assert.match(spec.info.version, /^\d+\.\d+\.\d+/);
  assert.ok(Object.keys(spec.components.schemas).length > 5);
  assert.equal(spec.components.securitySchemes.bearerAuth.type, 'http');
  assert.equal(spec.components.securitySchemes.bearerAuth.scheme, 'bearer');
  assert.deepEqual(spec.security, [{ bearerAuth: [] }]);

  // Every $ref points at something that exists.
  const resolve = (pointer: string) =>
    pointer
      .replace(/^#\//, '')
      .split('/')
      .reduce<any>((node, key) => node?.[key], spec);
  const walk = (node: unknown, where: string) => {
    if (Array.isArray(node)) node.forEach((n, i) => walk(n, `${where}/${i}`));
    else if (node && typeof node === 'object') {
      for (const [key, value] of Object.entries(node)) {
        if (key === '$ref') {
          assert.equal(typeof value, 'string', where);
          assert.ok(resolve(value as string) !== undefined, `${where}: ${value} does not resolve`);
        } else walk(value, `${where}/${key}`);
      }
    }
  };
  walk(spec, '#');

  const ids = new Set<string>();
  for (const [path, item] of Object.entries(spec.paths)) {
    assert.match(path, /^\//);
    const templated = [...path.matchAll(/\{(\w+)\}/g)].map((m) => m[1]);
    for (const [method, op] of Object.entries(item)) {
      const where = `${method.toUpperCase()} ${path}`;
      assert.ok(HTTP_METHODS.includes(method), where);
      assert.equal(typeof op.operationId, 'string', where);
      assert.ok(!ids.has(op.operationId), `${where}: operationId ${op.operationId} twice`);
      ids.add(op.operationId);
      assert.ok(op.summary, `${where}: summary`);
      assert.ok(Array.isArray(op.tags) && op.tags.length === 1, `${where}: tag`);
      assert.ok(Array.isArray(op.security), `${where}: security stated`);
      // Path parameters match the template exactly.
      const pathParams = (op.parameters ?? []).filter((p: any) => p.in === 'path').map((p: any) => p.name);
      assert.deepEqual(pathParams.sort(), [...templated].sort(), `${where}: path parameters`);
      for (const p of op.parameters ?? []) assert.ok(p.schema, `${where}: parameter ${p.name} has a schema`);
      // Responses: at least one success; every response described; errors with their shapes.
      const statuses = Object.keys(op.responses);
      assert.ok(
        statuses.some((s) => /^2\d\d$/.test(s)),
        `${where}: a 2xx response`,
      );
      for (const status of statuses) {
        const r = op.responses[status].$ref ? resolve(op.responses[status].$ref) : op.responses[status];
        assert.ok(r.description, `${where} ${status}: description`);
      }
      assert.ok(op.responses['500'], `${where}: 500`);
      if (op.security.length === 0) {
        assert.equal(op['x-required-role'], 'public', where);
        continue;
      }
      // Protected: the role it needs, and the 401 (with its challenge header) and 403 shapes.
      const [requirement] = op.security;
      const [role] = requirement.bearerAuth;
      assert.ok((ROLES as readonly string[]).includes(role), `${where}: role ${role}`);
      assert.equal(op['x-required-role'], role);
      assert.deepEqual(op.responses['401'], { $ref: '#/components/responses/Unauthorized' }, where);
      assert.ok(resolve('#/components/responses/Unauthorized').headers['WWW-Authenticate']);
      if (role !== 'viewer') assert.ok(op.responses['403'], `${where}: 403`);
      if (method === 'post') {
        assert.ok(op.responses['429'], `${where}: rate limited`);
        assert.ok(op.responses['400'], `${where}: 400`);
        const body = op.requestBody?.content?.['application/json'];
        assert.ok(body?.schema, `${where}: request body schema`);
        assert.ok(Object.keys(body.examples ?? {}).length > 0, `${where}: an example`);
      }
    }
  }
  assert.ok(resolve('#/components/responses/RateLimited').headers['Retry-After']);
});

test('request bodies come from the domain schemas, with the quickstart plan and examplePayload as examples', () => {
  const start = spec.paths['/launches']!.post;
  assert.deepEqual(start.requestBody.content['application/json'].schema, {
    $ref: '#/components/schemas/LaunchPlan',
  });
  const quickstart = start.requestBody.content['application/json'].examples.quickstart.value;
  assert.equal(quickstart.service, 'checkout');
  assert.ok(checkPlan(quickstart).ok, 'the plan example is a valid plan');
  const plan = spec.components.schemas.LaunchPlan as any;
  assert.equal(plan.type, 'object');
  assert.equal(plan.additionalProperties, false);
  for (const field of ['service', 'version', 'owners', 'approvals', 'analysis'])
    assert.ok(plan.required.includes(field), `LaunchPlan requires ${field}`);
  assert.ok(!plan.required.includes('ramp'), 'a defaulted field is optional in a request');

  const signal = spec.paths['/launches/{id}/signals/{name}']!.post;
  const examples = signal.requestBody.content['application/json'].examples;
  assert.deepEqual(Object.keys(examples).sort(), [...SIGNAL_NAMES].sort());
  for (const name of SIGNAL_NAMES) {
    const { by: _by, ...expected } = examplePayload(name);
    assert.deepEqual(examples[name].value, expected, `${name} example is examplePayload without by`);
  }
  const payload = spec.components.schemas.SignalPayload as any;
  assert.equal(payload.anyOf.length, SIGNAL_NAMES.length);
  for (const variant of payload.anyOf) {
    assert.ok(variant.properties.by, `${variant.title}: by documented`);
    assert.ok(
      !(variant.required ?? []).includes('by'),
      `${variant.title}: by is optional (the token says who)`,
    );
  }
  const freeze = spec.components.schemas.ConfigChangeRequest as any;
  assert.deepEqual([...freeze.required].sort(), ['change', 'service']);

  const list = spec.paths['/launches']!.get;
  assert.deepEqual(
    list.parameters.map((p: any) => [p.name, p.in, p.required]),
    [
      ['service', 'query', false],
      ['phase', 'query', false],
      ['limit', 'query', false],
    ],
  );
  assert.ok(list.parameters[1].schema.enum.includes('TRAFFIC'));
});

test('/docs is Swagger UI from local assets only', async () => {
  const page = await app.inject({ url: '/docs' });
  assert.equal(page.statusCode, 200);
  assert.match(String(page.headers['content-type']), /^text\/html/);
  assert.match(page.body, /<div id="swagger-ui">/);
  assert.match(String(page.headers['content-security-policy']), /default-src 'self'/);
  const refs = [...page.body.matchAll(/\b(?:src|href)="([^"]*)"/g)].map((m) => m[1]!);
  assert.ok(refs.length >= 4, refs.join(' '));
  assert.ok(refs.some((r) => r.endsWith('swagger-ui-bundle.js')));
  for (const ref of refs) {
    assert.match(ref, /^\/docs\/[\w.-]+$/, `${ref} is a local asset`);
    const asset = await app.inject({ url: ref });
    assert.equal(asset.statusCode, 200, ref);
    assert.ok(asset.rawPayload.length > 0, ref);
  }
  assert.doesNotMatch(page.body, /https?:\/\//, 'no absolute URL in the page');
  // The initializer points Swagger UI at this server's document and turns the online validator off.
  const init = await app.inject({ url: '/docs/swagger-initializer.js' });
  assert.match(init.body, /url: '\/openapi\.json'/);
  assert.match(init.body, /validatorUrl: null/);
  const css = await app.inject({ url: '/docs/swagger-ui.css' });
  assert.match(String(css.headers['content-type']), /^text\/css/);
  const missing = await app.inject({ url: '/docs/..%2Fpackage.json' });
  assert.equal(missing.statusCode, 404);
  assert.equal((await app.inject({ url: '/docs/nope.js' })).statusCode, 404);
});

test('a route without an operation, or a POST not marked mutating, stops the app from starting', async () => {
  const undocumented = buildApp({ client: new Client({ connection }), taskQueue: 'none' });
  await assert.rejects(async () => {
    undocumented.get('/secret', async () => 'shh');
    await undocumented.ready();
  }, /GET \/secret has no config\.operation/);
  await undocumented.close().catch(() => {});

  const unlimited = buildApp({ client: new Client({ connection }), taskQueue: 'none' });
  await assert.rejects(async () => {
    unlimited.post(
      '/poke',
      {
        config: {
          operation: {
            operationId: 'poke',
            summary: 'poke',
            tag: 'health',
            access: 'operator',
            responses: {},
          },
        },
      },
      async () => 'ok',
    );
    await unlimited.ready();
  }, /POST \/poke changes state: mark its operation mutating/);
  await unlimited.close().catch(() => {});
});

test('GET /metrics: Prometheus text with request counts by route pattern, public like /healthz', async () => {
  const app = buildApp({ client: new Client(), taskQueue: 'unused', logger: false });
  try {
    await app.inject({ method: 'GET', url: '/openapi.json' });
    const res = await app.inject({ method: 'GET', url: '/metrics' });
    assert.equal(res.statusCode, 200);
    assert.match(String(res.headers['content-type']), /text\/plain/);
    assert.match(
      res.body,
      /launch_control_api_requests_total\{method="GET",route="\/openapi.json",status="200"\} 1/,
    );
    assert.match(res.body, /launch_control_api_process_cpu_seconds_total/);
  } finally {
    await app.close();
  }
});
