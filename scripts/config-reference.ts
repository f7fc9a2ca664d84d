/** `npm run docs:config`: writes the configuration reference into the README from the schema. */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { renderConfigReference } from '../worker/config-schema.js';
import { PROJECT_ROOT } from './temporal-cli.js';

export const README = join(PROJECT_ROOT, 'README.md');
const START = '<!-- config-reference:start -->';
const END = '<!-- config-reference:end -->';

export function withConfigReference(readme: string): string {
  const start = readme.indexOf(START);
  const end = readme.indexOf(END);
  if (start < 0 || end < start) throw new Error(`README.md lacks the ${START} … ${END} markers`);
  return `${readme.slice(0, start + START.length)}\n\n${renderConfigReference().trimEnd()}\n\n${readme.slice(end)}`;
}

if (process.argv[1]?.endsWith('config-reference.ts')) {
  writeFileSync(README, withConfigReference(readFileSync(README, 'utf8')));
  console.log('[docs] README.md configuration reference updated');
}
