/**
 * Facts about a service's configuration artefacts for the lockdown: hashes (to lock and detect
 * drift), the keys of the env file, the feature flags, lockfile entries that are not pinned, and
 * which keys break a debug rule. Env values may be secrets, so they never leave this module: the
 * debug rules are applied here and a breaking value is shown only when it is a plain switch
 * (true/false/on/off/1/0…).
 */
import { createHash } from 'node:crypto';

export type ConfigSnapshot = {
  env: { sha256: string; keys: string[] };
  debug: { checkedKeys: string[]; violations: { source: DebugRule['source']; key: string; value: string }[] };
  flags: { sha256: string; flags: Record<string, string>; error?: string };
  lockfile: {
    sha256: string;
    lockfileVersion: number | null;
    packages: number;
    unpinned: string[];
    error?: string;
  };
};

export type DebugRule = { source: 'env' | 'flags'; keyContains: string; allowed: string[] };

const SWITCH_VALUE = /^(true|false|on|off|yes|no|enabled|disabled|[01]|)$/i;
const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

export function parseEnvFile(text: string): Map<string, string> {
  const entries = new Map<string, string>();
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    if (!line || line.startsWith('#')) continue;
    const eq = line.indexOf('=');
    if (eq <= 0) continue;
    const key = line
      .slice(0, eq)
      .replace(/^export\s+/, '')
      .trim();
    entries.set(
      key,
      line
        .slice(eq + 1)
        .trim()
        .replace(/^(['"])(.*)\1$/, '$2'),
    );
  }
  return entries;
}

function flagFacts(text: string): ConfigSnapshot['flags'] {
  try {
    const parsed: unknown = JSON.parse(text);
    if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) throw new Error('not a JSON object');
    const flags = Object.fromEntries(
      Object.entries(parsed).map(([k, v]) => [k, typeof v === 'string' ? v : JSON.stringify(v)]),
    );
    return { sha256: sha256(text), flags };
  } catch (err) {
    return { sha256: sha256(text), flags: {}, error: `flags are not valid JSON: ${(err as Error).message}` };
  }
}

/** npm lockfile v2/v3: every installed package needs an exact version and an integrity hash. */
function lockfileFacts(text: string): ConfigSnapshot['lockfile'] {
  try {
    const lock = JSON.parse(text) as {
      lockfileVersion?: number;
      packages?: Record<string, Record<string, unknown>>;
    };
    const packages = Object.entries(lock.packages ?? {}).filter(([path]) => path !== '');
    const unpinned = packages
      .filter(
        ([, p]) =>
          !p.link && !(typeof p.version === 'string' && /^\d+\.\d+\.\d+/.test(p.version) && p.integrity),
      )
      .map(([path]) => path.replace(/^.*node_modules\//, ''));
    return {
      sha256: sha256(text),
      lockfileVersion: lock.lockfileVersion ?? null,
      packages: packages.length,
      unpinned,
    };
  } catch (err) {
    return {
      sha256: sha256(text),
      lockfileVersion: null,
      packages: 0,
      unpinned: [],
      error: `lockfile is not valid JSON: ${(err as Error).message}`,
    };
  }
}

export function snapshotConfigArtefacts(
  texts: { env: string; flags: string; lockfile: string },
  debugRules: DebugRule[],
): ConfigSnapshot {
  const env = parseEnvFile(texts.env);
  const flags = flagFacts(texts.flags);
  const checkedKeys: string[] = [];
  const violations: ConfigSnapshot['debug']['violations'] = [];
  for (const rule of debugRules) {
    const values = rule.source === 'env' ? env : new Map(Object.entries(flags.flags));
    for (const [key, value] of values) {
      if (!key.toLowerCase().includes(rule.keyContains.toLowerCase())) continue;
      checkedKeys.push(`${rule.source}:${key}`);
      if (!rule.allowed.includes(value.toLowerCase()))
        violations.push({ source: rule.source, key, value: SWITCH_VALUE.test(value) ? value : '<hidden>' });
    }
  }
  return {
    env: { sha256: sha256(texts.env), keys: [...env.keys()].sort() },
    flags,
    lockfile: lockfileFacts(texts.lockfile),
    debug: { checkedKeys, violations },
  };
}
