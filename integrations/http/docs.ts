/**
 * Docs over `GET /docs/{service}/gates/{gate}`, plus link checks restricted to configured prefixes:
 * a link outside them is refused without any request (SSRF protection), and redirects are not
 * followed, since a vetted URL could otherwise bounce the request anywhere.
 */
import { z } from 'zod';
import type { HttpDocsConfig } from '../config.js';
import type { Docs } from '../types.js';
import { clientFor, httpRequest, pathOf, type AdapterContext } from './client.js';

const gateDoc = z.looseObject({ status: z.string(), url: z.string() });

/** Same origin, and the path inside the prefix's path (on a segment boundary unless the prefix ends in `/`). */
export function isUnderPrefix(candidate: URL, prefix: URL): boolean {
  if (candidate.origin !== prefix.origin) return false;
  if (prefix.pathname.endsWith('/')) return candidate.pathname.startsWith(prefix.pathname);
  return candidate.pathname === prefix.pathname || candidate.pathname.startsWith(`${prefix.pathname}/`);
}

function parseLink(url: string): URL | null {
  try {
    const parsed = new URL(url);
    const plainHttp = parsed.protocol === 'http:' || parsed.protocol === 'https:';
    return plainHttp && parsed.username === '' && parsed.password === '' ? parsed : null;
  } catch {
    return null;
  }
}

export function createHttpDocs(config: HttpDocsConfig, context: AdapterContext): Docs {
  const client = clientFor(config, context);
  const prefixes = config.allowedPrefixes.map((prefix) => new URL(prefix));
  return {
    async gateStatus(service, gate) {
      const path = `${pathOf('docs', service)}/gates${pathOf(gate)}`;
      const response = await client.send('GET', path);
      if (response.status === 404) return null;
      if (!response.ok) throw client.statusError('GET', path, response);
      const doc = client.parseJson('GET', path, response.text, gateDoc);
      return { gate, status: doc.status, url: doc.url };
    },
    async checkLink(url) {
      // Parsing normalises `..`, `%2e%2e` and host spelling before the comparison, not after.
      const link = parseLink(url);
      if (link === null || !prefixes.some((prefix) => isUnderPrefix(link, prefix))) {
        return {
          allowed: false,
          reachable: false,
          statusCode: null,
          detail: 'not under an allowed documentation prefix',
        };
      }
      try {
        const response = await httpRequest('GET', link, { timeoutMs: config.timeoutMs, redirect: 'manual' });
        const detail = response.ok
          ? 'reachable'
          : response.status >= 300 && response.status < 400
            ? `redirect (${response.status}) not followed`
            : `HTTP ${response.status}`;
        return { allowed: true, reachable: response.ok, statusCode: response.status, detail };
      } catch (error) {
        return { allowed: true, reachable: false, statusCode: null, detail: (error as Error).message };
      }
    },
  };
}
