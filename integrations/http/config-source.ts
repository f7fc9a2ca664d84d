/** ConfigSource over `GET /config/{service}/{environment}/{kind}` (raw text, returned untouched). */
import type { HttpConfigSourceConfig } from '../config.js';
import type { ConfigSource } from '../types.js';
import { clientFor, pathOf, type AdapterContext } from './client.js';

export function createHttpConfigSource(
  config: HttpConfigSourceConfig,
  context: AdapterContext,
): ConfigSource {
  const client = clientFor(config, context);
  return {
    read(service, environment, kind) {
      return client.getText(pathOf('config', service, environment, kind), {
        headers: { accept: 'text/plain, */*' },
      });
    },
  };
}
