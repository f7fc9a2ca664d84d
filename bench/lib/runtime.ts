/** The Temporal Core runtime can be installed once per process; in-process workers share it. */
import { installRuntime } from '../../worker/telemetry.js';

let installed = false;
export function ensureRuntime() {
  if (installed) return;
  installed = true;
  installRuntime({ logLevel: 'ERROR' });
}
