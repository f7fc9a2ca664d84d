/** HealthProbe over `GET /health/{service}/{environment}/{slot}`. Never throws: failures are results. */
import type { HttpHealthConfig } from '../config.js';
import type { HealthProbe } from '../types.js';
import { clientFor, pathOf, type AdapterContext } from './client.js';

const DETAIL_CHARS = 200;

export function createHttpHealthProbe(config: HttpHealthConfig, context: AdapterContext): HealthProbe {
  const client = clientFor(config, context);
  return {
    async probe(target) {
      const started = performance.now();
      try {
        const path = pathOf('health', target.service, target.environment, target.slot);
        const response = await client.send('GET', path);
        const body = response.text.replace(/\s+/g, ' ').trim().slice(0, DETAIL_CHARS);
        return {
          ok: response.ok,
          statusCode: response.status,
          latencyMs: response.latencyMs,
          detail: body || `HTTP ${response.status}`,
        };
      } catch (error) {
        return {
          ok: false,
          statusCode: null,
          latencyMs: Math.round(performance.now() - started),
          detail: error instanceof Error ? error.message : String(error),
        };
      }
    },
  };
}
