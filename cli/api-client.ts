/**
 * The CLI's only way to Launch Control: HTTP to the REST API (never Temporal). Every failure
 * becomes a `CliError` carrying the exit code the scripts rely on (see `EXIT`).
 */

/** Exit codes, documented in `launch-control --help` and cli/README.md. */
export const EXIT = {
  ok: 0,
  /** Network error, 404, 5xx, anything unexpected. */
  error: 1,
  /** Usage error, unreadable input, or a 400 from the API (every bad field is printed). */
  invalid: 2,
  /** `watch`: the launch ended ABORTED, ROLLED_BACK or FAILED. */
  notLive: 3,
  /** 401 / 403: not authenticated, or not allowed (a refused approver too). */
  forbidden: 4,
  /** 409: the launch does not await that action (or has ended). */
  conflict: 5,
  /** Interrupted with Ctrl-C. */
  interrupted: 130,
} as const;

export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode: number,
    /** The API's JSON body, printed as is with `--json`. */
    readonly body?: unknown,
    /** The HTTP status; absent when no answer came. */
    readonly status?: number,
  ) {
    super(message);
    this.name = 'CliError';
  }
}

export type FieldError = { path: string; message: string };
export type ApiReply<T> = { status: number; body: T; text: string };

type RequestOptions = {
  body?: unknown;
  accept?: string;
  query?: Record<string, string | number | undefined>;
  signal?: AbortSignal;
};

const DEFAULT_TIMEOUT_MS = 30_000;

export function exitCodeForStatus(status: number): number {
  if (status === 400) return EXIT.invalid;
  if (status === 401 || status === 403) return EXIT.forbidden;
  if (status === 409) return EXIT.conflict;
  return EXIT.error;
}

export function fieldErrorsOf(body: unknown): FieldError[] {
  const fields = (body as { fields?: unknown } | null)?.fields;
  if (!Array.isArray(fields)) return [];
  return fields.filter(
    (f): f is FieldError =>
      !!f && typeof f === 'object' && typeof f.path === 'string' && typeof f.message === 'string',
  );
}

export class ApiClient {
  readonly baseUrl: string;
  private readonly token: string | undefined;
  private readonly timeoutMs: number;

  constructor(opts: { baseUrl: string; token?: string | undefined; timeoutMs?: number }) {
    this.baseUrl = opts.baseUrl.replace(/\/+$/, '');
    this.token = opts.token || undefined;
    this.timeoutMs = opts.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  }

  /** An absolute URL for a path the API returned (`links.self` is relative). */
  absolute(path: string): string {
    return /^https?:\/\//.test(path) ? path : `${this.baseUrl}${path.startsWith('/') ? '' : '/'}${path}`;
  }

  get<T>(path: string, opts: Omit<RequestOptions, 'body'> = {}): Promise<ApiReply<T>> {
    return this.request<T>('GET', path, opts);
  }

  post<T>(path: string, body: unknown, opts: Omit<RequestOptions, 'body'> = {}): Promise<ApiReply<T>> {
    return this.request<T>('POST', path, { ...opts, body });
  }

  /** Sends a request; any status outside 2xx throws a `CliError` with the matching exit code. */
  async request<T>(method: 'GET' | 'POST', path: string, opts: RequestOptions = {}): Promise<ApiReply<T>> {
    const url = new URL(this.absolute(path));
    for (const [key, value] of Object.entries(opts.query ?? {}))
      if (value !== undefined && value !== '') url.searchParams.set(key, String(value));
    const headers: Record<string, string> = { accept: opts.accept ?? 'application/json' };
    if (opts.body !== undefined) headers['content-type'] = 'application/json';
    if (this.token) headers.authorization = `Bearer ${this.token}`;
    const timeout = AbortSignal.timeout(this.timeoutMs);
    const signal = opts.signal ? AbortSignal.any([opts.signal, timeout]) : timeout;

    let res: Response;
    let text: string;
    try {
      res = await fetch(url, {
        method,
        headers,
        signal,
        ...(opts.body !== undefined ? { body: JSON.stringify(opts.body) } : {}),
      });
      text = await res.text();
    } catch (err) {
      if (opts.signal?.aborted) throw err;
      if (timeout.aborted)
        throw new CliError(
          `no answer from the Launch Control API at ${this.baseUrl} within ${this.timeoutMs / 1000}s`,
          EXIT.error,
        );
      throw new CliError(
        `cannot reach the Launch Control API at ${this.baseUrl}: ${networkReason(err)}\n` +
          `(is it running? point the CLI at it with --api URL or LAUNCH_CONTROL_API)`,
        EXIT.error,
      );
    }
    const body = parseBody(text, res.headers.get('content-type'));
    if (res.ok) return { status: res.status, body: body as T, text };
    throw this.httpError(method, url, res.status, body, text);
  }

  private httpError(method: string, url: URL, status: number, body: unknown, text: string): CliError {
    const json = body && typeof body === 'object' ? (body as Record<string, unknown>) : null;
    const apiMessage =
      typeof json?.reason === 'string'
        ? json.reason
        : typeof json?.message === 'string'
          ? json.message
          : text.trim().slice(0, 300) || '(empty body)';
    const where = `${method} ${url.pathname}`;
    const code = exitCodeForStatus(status);
    const refusal = json?.accepted === false;

    if (status === 401) {
      const hint = this.token
        ? 'the token in LAUNCH_CONTROL_TOKEN was not accepted (expired or wrong?)'
        : 'set LAUNCH_CONTROL_TOKEN to an API token';
      return new CliError(
        `not authenticated by ${this.baseUrl} (401): ${apiMessage}\n${hint}`,
        code,
        body,
        status,
      );
    }
    if (status === 403 && !refusal) {
      const role = typeof json?.requiredRole === 'string' ? json.requiredRole : null;
      const hint = !this.token
        ? ['no token was sent: set LAUNCH_CONTROL_TOKEN']
        : role
          ? [`the token in LAUNCH_CONTROL_TOKEN lacks the "${role}" role`]
          : fieldLines(fieldErrorsOf(body));
      return new CliError(
        [`not allowed (403) to ${where}: ${apiMessage}`, ...hint].join('\n'),
        code,
        body,
        status,
      );
    }
    if (refusal) {
      const lines = [`refused (${status} ${String(json?.error ?? '')}): ${apiMessage}`];
      if (status === 400) lines.push(...fieldLines(fieldErrorsOf(body)));
      return new CliError(lines.join('\n'), code, body, status);
    }
    if (status === 400) {
      const fields = fieldErrorsOf(body);
      const head = fields.length
        ? `invalid request (${fields.length} field${fields.length === 1 ? '' : 's'}):`
        : `invalid request: ${apiMessage}`;
      return new CliError([head, ...fieldLines(fields)].join('\n'), code, body, status);
    }
    return new CliError(`${where} failed (${status}): ${apiMessage}`, code, body, status);
  }
}

export function fieldLines(fields: FieldError[]): string[] {
  return fields.map((f) => `  ${f.path}: ${f.message}`);
}

function parseBody(text: string, contentType: string | null): unknown {
  if (!contentType?.includes('json')) return text;
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

function networkReason(err: unknown): string {
  const cause = (err as { cause?: { code?: string; message?: string } } | null)?.cause;
  if (cause?.message || cause?.code) return cause.message || cause.code || '';
  return err instanceof Error ? err.message : String(err);
}
