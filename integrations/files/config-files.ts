/**
 * ConfigSource over files under one directory (a checked-out config repository, a mounted volume).
 *
 * Paths come from templates (`{service}`, `{environment}`) relative to `directory`. Every read is
 * confined to `directory`: values must be slugs, the resolved path must stay inside, and after
 * resolving symlinks the real file must still be inside the real directory. Only regular files are
 * read (a FIFO or device would block or stream forever).
 */
import { constants } from 'node:fs';
import { open, realpath } from 'node:fs/promises';
import { dirname, isAbsolute, relative, resolve, sep } from 'node:path';
import type { FilesConfigSourceConfig } from '../config.js';
import type { AdapterContext } from '../http/client.js';
import { SLUG_PATTERN } from '../patterns.js';
import type { ConfigKind, ConfigSource } from '../types.js';

export const DEFAULT_CONFIG_FILES: Readonly<Record<ConfigKind, string>> = {
  env: '{service}/{environment}/.env',
  flags: '{service}/{environment}/flags.json',
  lockfile: '{service}/package-lock.json',
};
const MAX_FILE_BYTES = 32 * 1024 * 1024;

export type ConfigFileErrorCode = 'INVALID' | 'OUTSIDE' | 'NOT_FOUND' | 'NOT_A_FILE' | 'TOO_LARGE' | 'IO';

export class ConfigFileError extends Error {
  constructor(
    message: string,
    readonly code: ConfigFileErrorCode,
    /** Path relative to the configured directory (as far as it was resolved). */
    readonly relativePath: string,
  ) {
    super(message);
    this.name = 'ConfigFileError';
  }
}

function isInside(root: string, path: string): boolean {
  const rel = relative(root, path);
  return rel !== '' && rel !== '..' && !rel.startsWith(`..${sep}`) && !isAbsolute(rel);
}

/**
 * The template for `kind`, filled in, resolved against `directory` and checked to stay inside it
 * (lexically; symlinks are checked when reading).
 */
export function configFilePath(
  config: FilesConfigSourceConfig,
  service: string,
  environment: string,
  kind: ConfigKind,
): { relativePath: string; absolutePath: string } {
  for (const [field, value] of [
    ['service', service],
    ['environment', environment],
  ] as const) {
    if (!SLUG_PATTERN.test(value)) {
      throw new ConfigFileError(`refusing ${field} ${JSON.stringify(value)}: not a slug`, 'INVALID', '');
    }
  }
  if (!Object.hasOwn(DEFAULT_CONFIG_FILES, kind)) {
    throw new ConfigFileError(`unknown config kind ${JSON.stringify(kind)}`, 'INVALID', '');
  }
  const template = config.files?.[kind] ?? DEFAULT_CONFIG_FILES[kind];
  const relativePath = template.replaceAll('{service}', service).replaceAll('{environment}', environment);
  const root = resolve(config.directory);
  const absolutePath = resolve(root, relativePath);
  if (isAbsolute(relativePath) || !isInside(root, absolutePath)) {
    throw new ConfigFileError(
      `refusing ${kind} file ${JSON.stringify(relativePath)}: outside the config directory`,
      'OUTSIDE',
      relativePath,
    );
  }
  return { relativePath, absolutePath };
}

/** Real path of the nearest existing ancestor of `path` below `root` (or of `root` itself). */
async function realAncestor(path: string, root: string): Promise<string> {
  for (let current = dirname(path); current !== root && isInside(root, current); current = dirname(current)) {
    try {
      return await realpath(current);
    } catch {
      // keep walking up
    }
  }
  return realpath(root);
}

async function readConfined(root: string, relativePath: string, absolutePath: string): Promise<string> {
  const fail = (code: ConfigFileErrorCode, detail: string) =>
    new ConfigFileError(`config file ${relativePath}: ${detail}`, code, relativePath);
  let realRoot: string;
  let realFile: string;
  try {
    realRoot = await realpath(root);
  } catch (error) {
    throw fail('IO', `config directory unavailable (${(error as NodeJS.ErrnoException).code ?? 'error'})`);
  }
  try {
    realFile = await realpath(absolutePath);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code !== 'ENOENT' && code !== 'ENOTDIR') throw fail('IO', `cannot resolve (${code ?? 'error'})`);
    // Missing: still say OUTSIDE when a symlinked parent leads out (no probing of outside paths).
    const ancestor = await realAncestor(absolutePath, root);
    if (ancestor !== realRoot && !isInside(realRoot, ancestor)) {
      throw fail('OUTSIDE', 'resolves (via a symlink) outside the config directory');
    }
    throw fail('NOT_FOUND', 'not found');
  }
  if (!isInside(realRoot, realFile))
    throw fail('OUTSIDE', 'resolves (via a symlink) outside the config directory');
  // O_NOFOLLOW: the checked real path must not have become a symlink since; O_NONBLOCK: a FIFO
  // opens at once (and is refused below) instead of blocking.
  let handle;
  try {
    handle = await open(realFile, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ELOOP') throw fail('OUTSIDE', 'became a symlink while being read');
    throw fail(code === 'ENOENT' ? 'NOT_FOUND' : 'IO', `cannot open (${code ?? 'error'})`);
  }
  try {
    const stat = await handle.stat();
    if (!stat.isFile()) throw fail('NOT_A_FILE', 'not a regular file');
    if (stat.size > MAX_FILE_BYTES) throw fail('TOO_LARGE', `larger than ${MAX_FILE_BYTES} bytes`);
    return await handle.readFile({ encoding: 'utf8' });
  } finally {
    await handle.close();
  }
}

export function createFilesConfigSource(
  config: FilesConfigSourceConfig,
  context: AdapterContext,
): ConfigSource {
  if (!isAbsolute(config.directory)) {
    throw new Error(`integration "${context.name}": directory must be an absolute path`);
  }
  return {
    async read(service, environment, kind) {
      const { relativePath, absolutePath } = configFilePath(config, service, environment, kind);
      return readConfined(config.directory, relativePath, absolutePath);
    },
  };
}
