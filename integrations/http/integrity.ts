/** DataIntegrity over `GET /integrity/{service}/{environment}`. */
import { z } from 'zod';
import type { HttpIntegrityConfig } from '../config.js';
import type { DataIntegrity } from '../types.js';
import { clientFor, pathOf, type AdapterContext } from './client.js';

const count = z.number().int().min(0);
const integrityResponse = z.looseObject({
  acknowledged_writes: count,
  verified_writes: count,
  missing: count,
});

export function createHttpDataIntegrity(config: HttpIntegrityConfig, context: AdapterContext): DataIntegrity {
  const client = clientFor(config, context);
  return {
    async probe(service, environment) {
      const body = await client.getJson(pathOf('integrity', service, environment), integrityResponse);
      return {
        acknowledgedWrites: body.acknowledged_writes,
        verifiedWrites: body.verified_writes,
        missing: body.missing,
      };
    },
  };
}
