/** Backups over `GET /backups/{service}/{environment}`. */
import { z } from 'zod';
import type { HttpBackupsConfig } from '../config.js';
import type { Backups } from '../types.js';
import { clientFor, pathOf, type AdapterContext } from './client.js';

const backupResponse = z.looseObject({
  last_backup_at: z.string().nullable(),
  last_restore_test: z
    .looseObject({ at: z.string().nullable(), passed: z.boolean().nullable() })
    .nullable()
    .optional(),
});

export function createHttpBackups(config: HttpBackupsConfig, context: AdapterContext): Backups {
  const client = clientFor(config, context);
  return {
    async status(service, environment) {
      const body = await client.getJson(pathOf('backups', service, environment), backupResponse);
      return {
        lastBackupAt: body.last_backup_at,
        lastRestoreTestAt: body.last_restore_test?.at ?? null,
        lastRestoreTestPassed: body.last_restore_test?.passed ?? null,
      };
    },
  };
}
