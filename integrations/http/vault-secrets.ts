/** Secrets over Vault's KV v2 metadata listing; only key names are ever requested, never values. */
import { z } from 'zod';
import type { VaultSecretsConfig } from '../config.js';
import type { Secrets } from '../types.js';
import { clientFor, pathOf, type AdapterContext } from './client.js';

const listResponse = z.looseObject({ data: z.looseObject({ keys: z.array(z.string()) }) });

export function createVaultSecrets(config: VaultSecretsConfig, context: AdapterContext): Secrets {
  const client = clientFor(config, context);
  return {
    async names(service, environment) {
      const path = `/v1/secret/metadata${pathOf(service, environment)}`;
      const response = await client.send('GET', path, { query: { list: 'true' } });
      // Vault answers a LIST of an empty (or absent) folder with 404.
      if (response.status === 404) return [];
      if (!response.ok) throw client.statusError('GET', path, response);
      const { data } = client.parseJson('GET', path, response.text, listResponse);
      // Keys ending in "/" are sub-folders, not secrets.
      return data.keys.filter((key) => !key.endsWith('/'));
    },
  };
}
