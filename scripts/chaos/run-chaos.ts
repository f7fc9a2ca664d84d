/**
 * `npm run chaos [-- --launches=20 --lanes=5 --bad-every=2 --seed=N] [--outages]`: crash chaos on
 * the demo stack (see scripts/chaos/chaos.ts); `--outages` times worker outages of 1–3 analysis
 * intervals to ramp stages and monitoring instead of killing at random (scripts/chaos/outages.ts).
 * Prints one line per launch and the summary, writes `.data/chaos/latest.json`, and exits 1 when
 * any figure is off.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PROJECT_ROOT } from '../temporal-cli.js';
import { chaosFailed, formatLaunch, runChaos, summaryLine } from './chaos.js';
import { outageSummaryLines } from './outages.js';

const arg = (name: string) => {
  const found = process.argv.slice(2).find((a) => a.startsWith(`--${name}=`));
  return found === undefined ? undefined : Number(found.slice(name.length + 3));
};

const dataRoot = join(PROJECT_ROOT, '.data', 'chaos');
try {
  const report = await runChaos({
    ...(arg('launches') ? { launches: arg('launches')! } : {}),
    ...(arg('lanes') ? { lanes: arg('lanes')! } : {}),
    ...(arg('bad-every') ? { badEvery: arg('bad-every')! } : {}),
    ...(arg('seed') !== undefined ? { seed: arg('seed')! } : {}),
    outages: process.argv.includes('--outages'),
    dataRoot,
  });
  mkdirSync(dataRoot, { recursive: true });
  const file = join(dataRoot, 'latest.json');
  writeFileSync(file, `${JSON.stringify(report, null, 2)}\n`);
  console.log('');
  for (const launch of report.launches) console.log(formatLaunch(launch));
  console.log(
    `[chaos] activity attempts retried, by how the previous attempt ended: ${JSON.stringify(report.totals.activityRetries)}`,
  );
  console.log(`[chaos] report: ${file}`);
  console.log(summaryLine(report));
  for (const line of outageSummaryLines(report)) console.log(line);
  process.exit(chaosFailed(report) ? 1 : 0);
} catch (err) {
  console.error(`[chaos] ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
  process.exit(1);
}
