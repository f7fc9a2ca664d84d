/** What every route plugin needs: the Temporal client and the server's configuration. */
import type { Client } from '@temporalio/client';

export type ApiContext = {
  client: Client;
  /** Task queue new launches are started on (where the Launch Control worker polls). */
  taskQueue: string;
  /** Base URL of the Temporal Web UI, for `links.ui`; no link when absent. */
  temporalUiUrl?: string;
  /** Integration names configured on this server for a kind; plans naming others are refused. */
  integrationNames?: (kind: string) => string[];
  /** Key shared with the worker: approvals from token holders carry a MAC the workflow can check. */
  identityKey?: Buffer | null;
};
