/**
 * Determinism: recorded histories of every workflow type replay against the current workflow code.
 *
 * `test/fixtures/histories/*.json` are real histories (the protobuf JSON of Temporal's `History` message) recorded on a
 * dev server with the sandbox world and fast plans: a launch that goes LIVE with each of its six
 * task workflows, a launch ROLLED_BACK after a breach at 10 %, a no-go (ABORTED), a launch that
 * refuses a stranger's go, malformed payloads, unknown and reserved signal names and a signal
 * sent to its task, and a monitoring run that continued as new. Replaying needs no server:
 * `Worker.runReplayHistories` feeds each history to the workflow code and fails on any command
 * the code would now issue differently. A change that would break launches already running
 * (a new activity, timer or child before an existing one, a reordered step) fails here in CI.
 *
 * Refreshing the fixtures, when a change is *meant* to alter histories (guard it with `patched()`
 * if old launches may still be running when it deploys, or deploy once none are):
 *
 *   npm run fixtures:record                 # every scenario (about a minute), rewrites the files
 *   npm run fixtures:record -- rollback     # one scenario: good-launch, rollback, no-go,
 *                                           #   refused-approval, monitoring-continue-as-new
 *
 * then run this test and commit the JSON files with the code change. Before re-recording for a
 * `patched()` change, move the current files to `histories/before-<patch>/`: they keep proving
 * that launches started on the old code replay on the new.
 */
import { launchIdFor, type LaunchPlan } from '../../domain/plan.js';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { test } from 'node:test';
import { Worker } from '@temporalio/worker';
import { installRuntime } from '../../worker/telemetry.js';
import { WORKFLOWS_PATH } from '../../worker/worker.js';
import { historyFromFixture, type History } from '../support/replay.js';

installRuntime({ logLevel: 'WARN' });

const DIR = new URL('../fixtures/histories/', import.meta.url);

/** Histories recorded by the current code (`histories/*.json`), the ones `fixtures:record` writes. */
function loadFixtures(dir = DIR, prefix = ''): { name: string; history: History }[] {
  return readdirSync(dir)
    .filter((f) => f.endsWith('.json'))
    .sort()
    .map((f) => ({
      name: `${prefix}${f.replace(/\.json$/, '')}`,
      history: historyFromFixture(readFileSync(new URL(f, dir), 'utf8')),
    }));
}

/**
 * Histories recorded before a `patched()` change (`histories/before-<patch>/*.json`): launches
 * started on that older code may still be running when the new code deploys, so they must replay
 * too. Kept until no such launch can be left.
 */
function loadEarlierFixtures(): { name: string; history: History }[] {
  return readdirSync(DIR, { withFileTypes: true })
    .filter((d) => d.isDirectory() && d.name.startsWith('before-'))
    .sort((a, b) => a.name.localeCompare(b.name))
    .flatMap((d) => loadFixtures(new URL(`${d.name}/`, DIR), `${d.name}/`));
}

/**
 * The workflow id a history ran under (a launch checks its own against its plan's launch id): a
 * launch's is the `launchId` of the plan it was started with; others keep the fixture's name.
 */
function workflowIdOf(fixture: { name: string; history: History }): string {
  if (typeOf(fixture.history) !== 'launch') return fixture.name;
  const input = fixture.history.events?.[0]?.workflowExecutionStartedEventAttributes?.input?.payloads?.[0];
  const data = input?.data as unknown;
  const text =
    typeof data === 'string'
      ? Buffer.from(data, 'base64').toString('utf8')
      : Buffer.from(data as Uint8Array).toString('utf8');
  return launchIdFor((JSON.parse(text) as { plan: LaunchPlan }).plan);
}

function typeOf(history: History): string {
  return history.events?.[0]?.workflowExecutionStartedEventAttributes?.workflowType?.name ?? '?';
}

/** Replays every history; returns the failures by fixture name. */
async function replayAll(fixtures: { name: string; history: History }[]) {
  const failures: Record<string, string> = {};
  const nameOf = new Map(fixtures.map((f) => [workflowIdOf(f), f.name]));
  const results = Worker.runReplayHistories(
    { workflowsPath: WORKFLOWS_PATH, replayName: 'launch-control-fixtures' },
    [...nameOf].map(([workflowId, name]) => ({
      workflowId,
      history: fixtures.find((f) => f.name === name)!.history,
    })),
  );
  let replayed = 0;
  for await (const result of results) {
    replayed += 1;
    if (result.error) failures[nameOf.get(result.workflowId) ?? result.workflowId] = result.error.message;
  }
  return { replayed, failures };
}

test('recorded histories of every workflow type replay against the current workflow code', async () => {
  const fixtures = loadFixtures();
  const types = new Set(fixtures.map((f) => typeOf(f.history)));
  for (const type of [
    'launch',
    'readiness',
    'lockdown',
    'rollbackDrill',
    'trafficRamp',
    'monitoring',
    'postLaunchReview',
    'serviceLock',
  ])
    assert.ok(types.has(type), `a fixture of workflow type ${type} (have: ${[...types].join(', ')})`);

  // The outcomes the issue names, each as a real history.
  const results = new Map(
    fixtures.map((f) => {
      const last = f.history.events?.at(-1);
      return [f.name, last] as const;
    }),
  );
  for (const name of ['launch-live', 'launch-rolled-back', 'launch-no-go', 'launch-refused-approval'])
    assert.ok(results.get(name)?.workflowExecutionCompletedEventAttributes, `${name} completed`);
  assert.ok(
    results.get('task-monitoring-continued-as-new')?.workflowExecutionContinuedAsNewEventAttributes,
    'a monitoring run that continued as new',
  );
  for (const f of fixtures)
    assert.equal(
      f.history.events?.filter((e) => e.workflowTaskFailedEventAttributes).length,
      0,
      `${f.name} was recorded without failed workflow tasks`,
    );

  const { replayed, failures } = await replayAll(fixtures);
  assert.deepEqual(failures, {}, 'every fixture replays');
  assert.equal(replayed, fixtures.length);
});

const earlier = loadEarlierFixtures();
test(
  'histories recorded by earlier code still replay (changes since are behind patched())',
  {
    // Before the first release no launch is in flight anywhere, so a rewrite may drop its patches
    // and these fixtures with them (CHANGELOG.md); from the first release on they are kept here.
    skip: earlier.length === 0 ? 'no histories of earlier code are kept before the first release' : false,
  },
  async () => {
    const { replayed, failures } = await replayAll(earlier);
    assert.deepEqual(failures, {}, 'every earlier fixture replays');
    assert.equal(replayed, earlier.length);
  },
);

test('the replay check has teeth: a history that does not match the code fails', async () => {
  // The good launch with its first activity's scheduled event renamed: the code would schedule
  // a different activity than the history recorded, which replay must reject as non-determinism.
  const [live] = loadFixtures().filter((f) => f.name === 'launch-live');
  assert.ok(live, 'the launch-live fixture exists');
  const tampered = historyFromFixture(readFileSync(new URL('launch-live.json', DIR), 'utf8'));
  const scheduled = tampered.events?.find((e) => e.startChildWorkflowExecutionInitiatedEventAttributes);
  assert.ok(scheduled, 'the launch starts a child');
  scheduled.startChildWorkflowExecutionInitiatedEventAttributes!.workflowType = { name: 'somethingElse' };
  const { failures } = await replayAll([{ name: 'tampered', history: tampered }]);
  assert.match(failures.tampered ?? '', /nondetermin|Nondetermin|does not match|mismatch/i);
});
