/**
 * The one HTTP helper every HTTP adapter uses: global `fetch`, a timeout, an optional bearer token,
 * JSON/text helpers and errors that are safe to log (status + short body excerpt; never headers,
 * never the token).
 */
import type { z } from 'zod';

export const DEFAULT_TIMEOUT_MS = 10_000;
const EXCERPT_CHARS = 200;

export type QueryValue = string | number | boolean | readonly string[];
export type Query = Record<string, QueryValue | undefined>;

/** A request failed: non-2xx answer (`status` set) or no answer at all (`status` null: timeout, network). */
export class HttpError extends Error {
  constructor(
    message: string,
    readonly method: string,
    readonly url: string,
    readonly status: number | null,
    readonly bodyExcerpt: string,
  ) {
    super(message);
    this.name = 'HttpError';
  }
}

/** The system answered 2xx, but not in the shape its API documents. */
export class UnexpectedResponseError extends Error {
  constructor(
    message: string,
    readonly method: string,
    readonly url: string,
  ) {
    super(message);
    this.name = 'UnexpectedResponseError';
  }
}

export type HttpResponse = { status: number; ok: boolean; text: string; latencyMs: number };

export type RequestOptions = {
  query?: Query;
  json?: unknown;
  headers?: Record<string, string>;
  /** `manual` keeps a 3xx as the answer instead of following it (used where the target must stay vetted). */
  redirect?: 'follow' | 'manual';
};

export type HttpClientOptions = {
  baseUrl: string;
  timeoutMs?: number | undefined;
  /** Bearer token value (already read from the environment); only ever put in the Authorization header. */
  token?: string | undefined;
  headers?: Record<string, string>;
};

/**
 * Joins path segments, URL-encoding each: `pathOf('traffic', 'a/b')` → `/traffic/a%2Fb`.
 * Empty, `.` and `..` segments are refused: URL parsing would collapse them (even encoded) and the
 * request would land on another resource.
 */
export function pathOf(...segments: string[]): string {
  return segments
    .map((segment) => {
      if (segment === '' || segment === '.' || segment === '..') {
        throw new Error(`invalid path segment ${JSON.stringify(segment)}`);
      }
      return `/${encodeURIComponent(segment)}`;
    })
    .join('');
}

/** Reads a bearer token from the environment; a configured but missing variable is a setup error. */
export function readToken(
  tokenEnv: string | undefined,
  env: NodeJS.ProcessEnv = process.env,
): string | undefined {
  if (tokenEnv === undefined) return undefined;
  const value = env[tokenEnv];
  if (value === undefined || value.trim() === '') {
    throw new Error(`environment variable ${tokenEnv} (named by tokenEnv) is not set`);
  }
  return value.trim();
}

function withQuery(url: URL, query: Query | undefined): URL {
  for (const [key, value] of Object.entries(query ?? {})) {
    if (value === undefined) continue;
    if (Array.isArray(value)) for (const item of value) url.searchParams.append(key, item);
    else url.searchParams.append(key, String(value));
  }
  return url;
}

/** URL for messages: no query string (it may carry user input) and never credentials. */
function describeUrl(url: URL): string {
  return `${url.origin}${url.pathname}`;
}

function excerpt(text: string, token: string | undefined): string {
  const redacted = token ? text.split(token).join('[redacted]') : text;
  const oneLine = redacted.replace(/\s+/g, ' ').trim();
  return oneLine.length > EXCERPT_CHARS ? `${oneLine.slice(0, EXCERPT_CHARS)}…` : oneLine;
}

function failureReason(error: unknown, timeoutMs: number): string {
  if (error instanceof Error && (error.name === 'TimeoutError' || error.name === 'AbortError')) {
    return `timed out after ${timeoutMs}ms`;
  }
  // undici puts the useful part (ECONNREFUSED, ENOTFOUND, …) in `cause`.
  const cause =
    error instanceof Error ? (error.cause as { code?: string; message?: string } | undefined) : undefined;
  return cause?.code ?? cause?.message ?? (error instanceof Error ? error.message : String(error));
}

/**
 * Sends one request to an absolute URL. Resolves with any HTTP status; rejects with `HttpError`
 * (status null) only when no answer arrived in time.
 */
export async function httpRequest(
  method: string,
  url: URL,
  options: RequestOptions & { timeoutMs?: number | undefined; token?: string | undefined } = {},
): Promise<HttpResponse> {
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const target = withQuery(new URL(url), options.query);
  const headers: Record<string, string> = {
    accept: 'application/json, text/plain;q=0.9, */*;q=0.5',
    ...options.headers,
  };
  if (options.token) headers.authorization = `Bearer ${options.token}`;
  if (options.json !== undefined) headers['content-type'] = 'application/json';
  const started = performance.now();
  try {
    const response = await fetch(target, {
      method,
      headers,
      body: options.json === undefined ? undefined : JSON.stringify(options.json),
      // A bearer token never follows a redirect: the 3xx comes back as the answer instead.
      redirect: options.redirect ?? (options.token ? 'manual' : 'follow'),
      signal: AbortSignal.timeout(timeoutMs),
    });
    const text = await response.text();
    return {
      status: response.status,
      ok: response.ok,
      text,
      latencyMs: Math.round(performance.now() - started),
    };
  } catch (error) {
    const reason = excerpt(failureReason(error, timeoutMs), options.token);
    throw new HttpError(
      `${method} ${describeUrl(target)} failed: ${reason}`,
      method,
      describeUrl(target),
      null,
      '',
    );
  }
}

/** A client bound to one base URL, timeout and token; paths are appended to the base URL's path. */
export class HttpClient {
  private readonly baseUrl: URL;
  private readonly timeoutMs: number;
  private readonly token: string | undefined;
  private readonly headers: Record<string, string>;

  constructor(options: HttpClientOptions) {
    this.baseUrl = new URL(options.baseUrl);
    this.timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    this.token = options.token;
    this.headers = options.headers ?? {};
  }

  /** `${base}${path}`; the base's path is kept (e.g. a Prometheus behind `/prom`). */
  urlFor(path: string): URL {
    const url = new URL(this.baseUrl);
    url.pathname = `${url.pathname.replace(/\/+$/, '')}${path}`;
    return url;
  }

  /** Any status resolves; only a missing answer rejects (see `httpRequest`). */
  send(method: string, path: string, options: RequestOptions = {}): Promise<HttpResponse> {
    return httpRequest(method, this.urlFor(path), {
      ...options,
      headers: { ...this.headers, ...options.headers },
      timeoutMs: this.timeoutMs,
      token: this.token,
    });
  }

  /** Like `send`, but a non-2xx answer rejects with `HttpError`. */
  async expectOk(method: string, path: string, options: RequestOptions = {}): Promise<HttpResponse> {
    const response = await this.send(method, path, options);
    if (!response.ok) throw this.statusError(method, path, response);
    return response;
  }

  async getText(path: string, options: RequestOptions = {}): Promise<string> {
    return (await this.expectOk('GET', path, options)).text;
  }

  async getJson<S extends z.ZodType>(
    path: string,
    schema: S,
    options: RequestOptions = {},
  ): Promise<z.output<S>> {
    return this.parseJson('GET', path, (await this.expectOk('GET', path, options)).text, schema);
  }

  async postJson<S extends z.ZodType>(path: string, body: unknown, schema: S): Promise<z.output<S>> {
    return this.parseJson('POST', path, (await this.expectOk('POST', path, { json: body })).text, schema);
  }

  /** Parses a JSON body against the API's documented shape. */
  parseJson<S extends z.ZodType>(method: string, path: string, text: string, schema: S): z.output<S> {
    const where = describeUrl(this.urlFor(path));
    let body: unknown;
    try {
      body = text.trim() === '' ? undefined : JSON.parse(text);
    } catch {
      throw new UnexpectedResponseError(
        `${method} ${where}: response is not JSON: ${excerpt(text, this.token)}`,
        method,
        where,
      );
    }
    const result = schema.safeParse(body);
    if (!result.success) {
      const problems = result.error.issues.map(
        (issue) => `${issue.path.join('.') || '(body)'}: ${issue.message}`,
      );
      throw new UnexpectedResponseError(
        `${method} ${where}: unexpected response: ${problems.slice(0, 3).join('; ')}`,
        method,
        where,
      );
    }
    return result.data;
  }

  statusError(method: string, path: string, response: HttpResponse): HttpError {
    const where = describeUrl(this.urlFor(path));
    const body = excerpt(response.text, this.token);
    return new HttpError(
      `${method} ${where} answered ${response.status}${body ? `: ${body}` : ''}`,
      method,
      where,
      response.status,
      body,
    );
  }
}

/** What an adapter factory gets besides its own config: its name (for messages) and where tokens live. */
export type AdapterContext = { name: string; env?: NodeJS.ProcessEnv };

/** The client for an adapter config; the token is read now, once, at adapter creation. */
export function clientFor(
  config: { url: string; timeoutMs?: number | undefined; tokenEnv?: string | undefined },
  context: AdapterContext,
  headers?: Record<string, string>,
): HttpClient {
  let token: string | undefined;
  try {
    token = readToken(config.tokenEnv, context.env);
  } catch (error) {
    throw new Error(`integration "${context.name}": ${(error as Error).message}`);
  }
  return new HttpClient({
    baseUrl: config.url,
    timeoutMs: config.timeoutMs,
    token,
    ...(headers ? { headers } : {}),
  });
}
