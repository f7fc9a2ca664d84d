/**
 * `npm run bundle`: prebundles the workflow code for production workers (no webpack at start-up),
 * twice: plain, and with the OpenTelemetry workflow interceptors for workers that trace.
 */
import { bundleWorkflowCode } from '@temporalio/worker';
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { WORKFLOW_TRACING_MODULE } from '../worker/tracing.js';
import { WORKFLOW_BUNDLES, WORKFLOWS_PATH } from '../worker/worker.js';

for (const [variant, out] of Object.entries(WORKFLOW_BUNDLES)) {
  const { code } = await bundleWorkflowCode({
    workflowsPath: WORKFLOWS_PATH,
    workflowInterceptorModules: variant === 'traced' ? [WORKFLOW_TRACING_MODULE] : [],
  });
  mkdirSync(dirname(out), { recursive: true });
  writeFileSync(out, code);
  console.log(`[bundle] ${out} (${Math.round(code.length / 1024)} KiB)`);
}
