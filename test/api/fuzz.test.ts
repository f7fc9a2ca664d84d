/**
 * Bad input to the REST API: 10,000 property-based requests generated from the OpenAPI document
 * (`scripts/fuzz-api.ts`; `npm run fuzz` runs a bigger campaign) against the real app, backed by
 * a real Temporal dev server and worker. No answer may be a 5xx and nothing may crash. The seed
 * is random per run and printed; `FUZZ_SEED=<seed>` (and `FUZZ_REQUESTS`) reproduce a run.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { fuzzTarget, runFuzz, summaryLine } from '../../scripts/fuzz-api.js';

let target: Awaited<ReturnType<typeof fuzzTarget>>;
before(async () => {
  target = await fuzzTarget();
});
after(async () => {
  await target?.stop();
});

test('10,000 generated requests from the OpenAPI document: no 5xx, no crash', async (t) => {
  const requests = Number(process.env.FUZZ_REQUESTS ?? 10_000);
  const seed = Number(process.env.FUZZ_SEED ?? Math.floor(Math.random() * 2 ** 31));
  const result = await runFuzz({ apps: target.apps, requests, seed });
  const line = summaryLine(result);
  t.diagnostic(line);
  const failures = [...result.serverErrors, ...result.crashes]
    .slice(0, 10)
    .map((f) => `#${f.index} ${f.status ?? 'crash'}: ${f.request}\n    ${f.body ?? f.error}`);
  assert.equal(result.requests, requests, line);
  assert.deepEqual(failures, [], `${line}\n${failures.join('\n')}`);
  // The run went deep, not only to the door: accepted, refused by validation, by auth, not found.
  for (const status of ['200', '400', '401', '403', '404'])
    assert.ok((result.statusCounts[status] ?? 0) > 0, `some ${status} answers (${line})`);
  assert.ok(result.audited > 0, `some signals reached a launch, which audited them (${line})`);
});
