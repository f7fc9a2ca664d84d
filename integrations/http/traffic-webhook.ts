/** TrafficRouter over a Flagger-style webhook: `POST|GET /traffic/{service}/{environment}`. */
import { z } from 'zod';
import type { WebhookTrafficConfig } from '../config.js';
import type { TrafficRouter, TrafficTarget } from '../types.js';
import { clientFor, pathOf, type AdapterContext } from './client.js';

const percentSchema = z.number().min(0).max(100);
const trafficState = z.looseObject({ canaryPercent: percentSchema });

/** Refused before any request: a router must never be handed a share it cannot apply. */
export function assertCanaryPercent(percent: number): void {
  if (!Number.isInteger(percent) || percent < 0 || percent > 100) {
    throw new RangeError(`canary percent must be an integer from 0 to 100, got ${percent}`);
  }
}

export function createWebhookTrafficRouter(
  config: WebhookTrafficConfig,
  context: AdapterContext,
): TrafficRouter {
  const client = clientFor(config, context);
  const pathFor = (target: TrafficTarget) => pathOf('traffic', target.service, target.environment);
  return {
    async setCanaryPercent(target, percent) {
      assertCanaryPercent(percent);
      await client.expectOk('POST', pathFor(target), { json: { canaryPercent: percent } });
    },
    async readCanaryPercent(target) {
      return (await client.getJson(pathFor(target), trafficState)).canaryPercent;
    },
  };
}
