/** Finding programs on this machine (the Temporal CLI, Go, HAProxy, Prometheus, Chromium, apt-get). */
import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';

export function isExecutable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** First executable `name` on PATH, then in `extraDirs` (Debian puts daemons in /usr/sbin). */
export function findExecutable(name: string, extraDirs: string[] = []): string | null {
  const dirs = [...(process.env.PATH ?? '').split(delimiter).filter(Boolean), ...extraDirs];
  for (const dir of dirs) if (isExecutable(join(dir, name))) return join(dir, name);
  return null;
}
