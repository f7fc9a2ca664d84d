/**
 * Facts about a service's configuration artefacts for the lockdown: hashes (to lock and detect
 * drift), the keys of the env file (values may be secrets, so only values of keys matching a
 * debug rule are revealed), the feature flags, and lockfile entries that are not pinned.
 */
import { createHash } from 'node:crypto';

export type ConfigSnapshot = {
  env: { sha256: string; keys: string[]; revealed: Record<string, string> };
  flags: { sha256: string; flags: Record<string, string>; error?: string };
  lockfile: {
    sha256: string;
    lockfileVersion: number | null;
    packages: number;
    unpinned: string[];
    error?: string;
  };
};

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
  revealKeysContaining: string[],
): ConfigSnapshot {
  const env = parseEnvFile(texts.env);
  const patterns = revealKeysContaining.map((p) => p.toLowerCase());
  const revealed = Object.fromEntries(
    [...env].filter(([key]) => patterns.some((p) => key.toLowerCase().includes(p))),
  );
  return {
    env: { sha256: sha256(texts.env), keys: [...env.keys()].sort(), revealed },
    flags: flagFacts(texts.flags),
    lockfile: lockfileFacts(texts.lockfile),
  };
}
