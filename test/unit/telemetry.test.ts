import assert from 'node:assert/strict';
import { test } from 'node:test';
import { jsonLogLine } from '../../worker/telemetry.js';

test('worker logs are one JSON object per line, with the launch id and phase kept', () => {
  const line = jsonLogLine({
    level: 'INFO',
    message: 'launch phase',
    timestampNanos: 1_700_000_000_123_000_000n,
    meta: {
      sdkComponent: 'workflow',
      workflowId: 'checkout-2.0.0',
      launchId: 'checkout-2.0.0',
      phase: 'TRAFFIC',
      attempt: 1n,
      error: new Error('boom'),
    },
  });
  assert.ok(!line.includes('\n'));
  const record = JSON.parse(line);
  assert.deepEqual(
    { ...record },
    {
      time: '2023-11-14T22:13:20.123Z',
      level: 'info',
      msg: 'launch phase',
      component: 'workflow',
      workflowId: 'checkout-2.0.0',
      launchId: 'checkout-2.0.0',
      phase: 'TRAFFIC',
      attempt: '1',
      error: { name: 'Error', message: 'boom' },
    },
  );
});
