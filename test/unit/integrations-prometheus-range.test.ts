/** Prometheus range queries (`/api/v1/query_range`) against a tiny local server. */
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import type { IntegrationsConfig } from '../../integrations/config.js';
import { createIntegrationRegistry } from '../../integrations/registry.js';
import type { MetricsSource } from '../../integrations/types.js';

describe('prometheus range queries', () => {
  let server: Server;
  let metrics: MetricsSource;
  const seen: URLSearchParams[] = [];
  const window = { startMs: 1_700_000_000_000, endMs: 1_700_000_120_500, stepMs: 60_000 };

  before(async () => {
    const matrix = (series: [number, string][][]) => ({
      status: 'success',
      data: {
        resultType: 'matrix',
        result: series.map((values, i) => ({ metric: { i: String(i) }, values })),
      },
    });
    const answers: Record<string, [number, unknown]> = {
      one: [
        200,
        matrix([
          [
            [1_700_000_000, '0.1'],
            [1_700_000_060, '0.25'],
            [1_700_000_120.5, '1e-3'],
          ],
        ]),
      ],
      two: [200, matrix([[[1_700_000_000, '1']], [[1_700_000_000, '2']]])],
      none: [200, matrix([])],
      nan: [
        200,
        matrix([
          [
            [1_700_000_000, '+Inf'],
            [1_700_000_060, 'NaN'],
          ],
        ]),
      ],
      mixed: [
        200,
        matrix([
          [
            [1_700_000_000, '0.1'],
            [1_700_000_060, 'NaN'],
          ],
        ]),
      ],
      text: [200, matrix([[[1_700_000_000, 'abc']]])],
      vector: [200, { status: 'success', data: { resultType: 'vector', result: [] } }],
      bad: [400, { status: 'error', errorType: 'bad_data', error: 'parse error at char 3' }],
      proxy: [502, '<html>bad gateway</html>'],
    };
    server = createServer((request, response) => {
      const url = new URL(request.url ?? '/', 'http://x');
      seen.push(url.searchParams);
      const [status, body] =
        url.pathname === '/prom/api/v1/query_range'
          ? (answers[url.searchParams.get('query') ?? ''] ?? [404, ''])
          : [404, ''];
      response
        .writeHead(status, { 'content-type': 'application/json' })
        .end(typeof body === 'string' ? body : JSON.stringify(body));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/prom`;
    const config: IntegrationsConfig = { metrics: { p: { type: 'prometheus', url, timeoutMs: 2000 } } };
    metrics = createIntegrationRegistry(config).get('metrics', 'p');
  });
  after(() => new Promise((resolve) => server.close(resolve)));

  it('returns the points of exactly one series', async () => {
    assert.ok(metrics.queryRange);
    assert.deepEqual(await metrics.queryRange('one', window), {
      status: 'ok',
      values: [
        [1_700_000_000_000, 0.1],
        [1_700_000_060_000, 0.25],
        [1_700_000_120_500, 0.001],
      ],
    });
    const params = seen.at(-1);
    assert.deepEqual(
      [params?.get('start'), params?.get('end'), params?.get('step')],
      ['1700000000', '1700000120.5', '60'],
    );
  });

  it('reports empty, nan, non-scalar and error answers without throwing', async () => {
    assert.ok(metrics.queryRange);
    const expect = {
      two: 'non-scalar',
      none: 'empty',
      nan: 'nan',
      text: 'error',
      vector: 'error',
      bad: 'error',
      proxy: 'error',
    };
    for (const [query, status] of Object.entries(expect)) {
      const sample = await metrics.queryRange(query, window);
      assert.equal(sample.status, status, `${query}: ${JSON.stringify(sample)}`);
      assert.equal(sample.values, null);
    }
    // A NaN step among numbers stays in (the canary judge applies its own NaN strategy).
    assert.deepEqual(await metrics.queryRange('mixed', window), {
      status: 'ok',
      values: [
        [1_700_000_000_000, 0.1],
        [1_700_000_060_000, Number.NaN],
      ],
    });
    const bad = await metrics.queryRange('bad', window);
    assert.match(bad.status === 'ok' ? '' : bad.error, /bad_data \(400\): parse error/);
    const requests = seen.length;
    for (const w of [
      { ...window, stepMs: 0 },
      { ...window, endMs: window.startMs - 1 },
      { ...window, stepMs: 1 },
      { ...window, startMs: Number.NaN },
    ]) {
      assert.equal((await metrics.queryRange('one', w)).status, 'error', JSON.stringify(w));
    }
    assert.equal(seen.length, requests, 'an invalid window is refused before any request');
    const down = createIntegrationRegistry({
      metrics: { d: { type: 'prometheus', url: 'http://127.0.0.1:1' } },
    });
    assert.equal((await down.get('metrics', 'd').queryRange?.('one', window))?.status, 'error');
  });
});
