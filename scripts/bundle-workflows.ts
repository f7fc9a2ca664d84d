/** `npm run bundle`: prebundles the workflow code for production workers (no webpack at start-up). */
import { bundleWorkflowCode } from '@temporalio/worker';
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { WORKFLOWS_PATH } from '../worker/worker.js';
import { PROJECT_ROOT } from './temporal-cli.js';

const out = join(PROJECT_ROOT, 'dist', 'workflow-bundle.js');
const { code } = await bundleWorkflowCode({ workflowsPath: WORKFLOWS_PATH });
mkdirSync(dirname(out), { recursive: true });
writeFileSync(out, code);
console.log(`[bundle] ${out} (${Math.round(code.length / 1024)} KiB)`);
