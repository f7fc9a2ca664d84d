/**
 * Registers Launch Control's search attributes on a cluster that lacks them (the dev server gets
 * them from `--search-attribute`). Workflows upsert them, so a cluster without them would fail
 * every launch; better to say so at start-up.
 */
import type { Connection } from '@temporalio/client';
import proto from '@temporalio/proto'; // CommonJS: named exports are not visible to ESM

const { temporal } = proto;
import { ALL_SEARCH_ATTRIBUTES } from '../workflows/search-attributes.js';

const INDEXED_TYPE: Record<string, number> = {
  KEYWORD: temporal.api.enums.v1.IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD,
  INT: temporal.api.enums.v1.IndexedValueType.INDEXED_VALUE_TYPE_INT,
  BOOL: temporal.api.enums.v1.IndexedValueType.INDEXED_VALUE_TYPE_BOOL,
};

export async function ensureSearchAttributes(
  connection: Connection,
  namespace: string,
  log: (line: string) => void,
) {
  const existing = await connection.operatorService.listSearchAttributes({ namespace });
  const missing = ALL_SEARCH_ATTRIBUTES.filter((key) => !(key.name in (existing.customAttributes ?? {})));
  if (missing.length === 0) return;
  try {
    await connection.operatorService.addSearchAttributes({
      namespace,
      searchAttributes: Object.fromEntries(missing.map((key) => [key.name, INDEXED_TYPE[key.type]!])),
    });
    log(`[temporal] registered search attributes: ${missing.map((k) => k.name).join(', ')}`);
  } catch (err) {
    throw new Error(
      `search attributes ${missing.map((k) => `${k.name} (${k.type})`).join(', ')} are missing in namespace ${namespace} ` +
        `and could not be registered (${(err as Error).message}); ask an operator to run ` +
        `"temporal operator search-attribute create" for them`,
    );
  }
}
