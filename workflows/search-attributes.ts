/** Custom search attributes: let the Temporal UI and the API filter launches. Registered at start. */
import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';

export const LAUNCH_SERVICE = defineSearchAttributeKey('LaunchService', SearchAttributeType.KEYWORD);
export const LAUNCH_VERSION = defineSearchAttributeKey('LaunchVersion', SearchAttributeType.KEYWORD);
export const LAUNCH_PHASE = defineSearchAttributeKey('LaunchPhase', SearchAttributeType.KEYWORD);
export const LAUNCH_TRAFFIC_PERCENT = defineSearchAttributeKey(
  'LaunchTrafficPercent',
  SearchAttributeType.INT,
);
/** True while the launch holds a config freeze: the freeze gate asks these launches. */
export const LAUNCH_FREEZE_ACTIVE = defineSearchAttributeKey('LaunchFreezeActive', SearchAttributeType.BOOL);

export const ALL_SEARCH_ATTRIBUTES = [
  LAUNCH_SERVICE,
  LAUNCH_VERSION,
  LAUNCH_PHASE,
  LAUNCH_TRAFFIC_PERCENT,
  LAUNCH_FREEZE_ACTIVE,
];

/** `--search-attribute Name=Type` flags for `temporal server start-dev`. */
export function devServerSearchAttributeArgs(): string[] {
  const cliType: Record<string, string> = { KEYWORD: 'Keyword', INT: 'Int', BOOL: 'Bool' };
  return ALL_SEARCH_ATTRIBUTES.flatMap((key) => [
    '--search-attribute',
    `${key.name}=${cliType[key.type] ?? key.type}`,
  ]);
}
