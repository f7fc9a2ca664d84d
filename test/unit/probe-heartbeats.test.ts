/**
 * The dark launch's health probes are spaced by the plan's analysis interval (30 s, 1 min…),
 * longer than the probe activity's 30 s heartbeat timeout: the activity must heartbeat while it
 * waits, or every launch with such an interval fails its dark launch. (Found by the 1,000-launch
 * bench with 60 s intervals.)
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { MockActivityEnvironment } from '@temporalio/testing';
import { createActivities, WAIT_HEARTBEAT_MS, waitHeartbeating } from '../../activities/index.js';
import { loadIntegrationsConfig } from '../../integrations/config.js';
import { createIntegrationRegistry } from '../../integrations/registry.js';
import { PROBE_OPTIONS } from '../../workflows/activity-options.js';
import { durationMs } from '../../domain/durations.js';
import { startWorld } from '../support/world.js';

test('a wait heartbeats at least every interval, and lasts as long as asked', async () => {
  const beats: number[] = [];
  const started = Date.now();
  await waitHeartbeating(260, () => beats.push(Date.now() - started), 50);
  assert.ok(beats.length >= 5, `beats at ${beats.join(', ')} ms`);
  assert.ok(
    beats.every((t, i) => t - (beats[i - 1] ?? 0) <= 50 + 40),
    `beats at ${beats.join(', ')} ms`,
  );
  assert.ok(Date.now() - started >= 255);
  assert.ok(
    WAIT_HEARTBEAT_MS * 3 <= durationMs(String(PROBE_OPTIONS.heartbeatTimeout)),
    'several heartbeats fit in the heartbeat timeout',
  );
});

test('probeHealth heartbeats between probes spaced longer than the heartbeat interval', async () => {
  const world = await startWorld();
  try {
    const activities = createActivities({
      integrations: createIntegrationRegistry(loadIntegrationsConfig(world.integrationsConfig())),
    });
    const env = new MockActivityEnvironment();
    const beats: unknown[] = [];
    env.on('heartbeat', (details: unknown) => beats.push(details));
    const spacingMs = WAIT_HEARTBEAT_MS + 500;
    const results = (await env.run(activities.probeHealth, {
      integration: 'default',
      service: 'shop',
      environment: 'production',
      slot: 'canary' as const,
      count: 2,
      spacingMs,
    })) as unknown[];
    assert.equal(results.length, 2);
    // After probe 1, at 5 s into the wait, at its end, after probe 2: never silent for a whole spacing.
    assert.ok(beats.length >= 4, JSON.stringify(beats));
  } finally {
    await world.close();
  }
});
