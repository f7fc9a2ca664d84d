/**
 * Plays the approvers of many launches at once without polling them: every approval a launch
 * needs is announced on the chat channels (the sandbox world records them), with who may answer,
 * the signal, the launch id and the payload it expects. The bench reads those messages, as a
 * person reading Slack would, and sends the signal. No query per launch, so the engine under
 * measurement is not loaded by the approver.
 */
import type { Client } from '@temporalio/client';
import { goodReview } from '../../scripts/demo/approver.js';
import type { World } from '../../scripts/sandbox/world.js';

const REQUEST = /^From: ([^.]+)\. Send the signal "(\w+)" on launch (\S+) .*with:\n(\{.*\})/ms;

export type Approver = { stop: () => void; sent: () => number; errors: () => string[] };

export function startNotificationApprover(
  world: World,
  client: Client,
  opts: { docsBase: string; intervalMs?: number; decide?: (signal: string, launchId: string) => boolean },
): Approver {
  const seen = new Set<string>();
  const errors: string[] = [];
  let sent = 0;
  let running = true;
  const tick = () => {
    if (!running) return;
    const batch = world.notifications.splice(0, world.notifications.length);
    // The bench never reads the recorded requests; keep the world's memory flat.
    world.requests.length = 0;
    for (const note of batch) {
      const text = note.text.slice(note.text.indexOf('\n') + 1);
      const match = REQUEST.exec(text);
      if (!match) continue;
      const [, from = '', signal = '', launchId = '', expectsText = '{}'] = match;
      let expects: { stage?: number } = {};
      try {
        expects = JSON.parse(expectsText.split('\n')[0]!) as { stage?: number };
      } catch {
        // no payload hint
      }
      const key = `${launchId}:${signal}:${expects.stage ?? ''}`;
      if (seen.has(key)) continue; // the same request on the second channel
      seen.add(key);
      if (opts.decide && !opts.decide(signal, launchId)) continue;
      const by = from.split(',')[0]!.trim();
      const payload =
        signal === 'goNoGo'
          ? { by, decision: 'go' }
          : signal === 'metricsReview'
            ? { by, stage: expects.stage ?? 10, verdict: 'proceed' }
            : signal === 'onCallAck'
              ? { by }
              : signal === 'postLaunchReview'
                ? goodReview(by, undefined, opts.docsBase)
                : null;
      if (!payload) continue;
      sent += 1;
      client.workflow
        .getHandle(launchId)
        .signal(signal, payload)
        .catch((error: unknown) => errors.push(`${launchId} ${signal}: ${(error as Error).message}`));
    }
    setTimeout(tick, opts.intervalMs ?? 50);
  };
  tick();
  return {
    stop: () => {
      running = false;
    },
    sent: () => sent,
    errors: () => errors,
  };
}
