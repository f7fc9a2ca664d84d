/**
 * One command over HAProxy's runtime API (the "stats socket"): connect (unix socket or TCP), write
 * one line, read the answer to EOF. HAProxy's non-interactive mode answers and closes the
 * connection, so one command is one connection. Only single, safe lines are ever written.
 */
import { createConnection, type Socket } from 'node:net';

export const DEFAULT_RUNTIME_API_TIMEOUT_MS = 5_000;
/** Answers of the commands we send are a few bytes; anything far larger is not HAProxy talking. */
const MAX_ANSWER_BYTES = 64 * 1024;

/** Where the runtime API listens: a unix socket path or a TCP `host:port`. */
export type RuntimeApiEndpoint = { socket: string } | { address: string };

/** The runtime API could not be reached, timed out, or answered with an error message. */
export class RuntimeApiError extends Error {
  constructor(
    message: string,
    /** `unix:/path` or `tcp:host:port`. */
    readonly endpoint: string,
    readonly command: string,
    /** Socket error code (ECONNREFUSED, ENOENT, ETIMEDOUT, …) or `ANSWER` when HAProxy refused. */
    readonly code: string,
    /** HAProxy's answer, for `ANSWER` errors. */
    readonly answer: string = '',
  ) {
    super(message);
    this.name = 'RuntimeApiError';
  }
}

export function describeEndpoint(endpoint: RuntimeApiEndpoint): string {
  return 'socket' in endpoint ? `unix:${endpoint.socket}` : `tcp:${endpoint.address}`;
}

/**
 * Refuses anything that is not one printable line: HAProxy's CLI splits commands on newlines and
 * on ";", so either would let a value smuggle in a second command.
 */
export function assertSafeCommand(command: string): void {
  if (command.length === 0 || command.length > 1024 || /[\u0000-\u001f\u007f;]/.test(command)) {
    throw new RuntimeApiError(
      `refusing to send an unsafe runtime API command ${JSON.stringify(command.slice(0, 120))}`,
      '',
      command,
      'UNSAFE_COMMAND',
    );
  }
}

function parseAddress(address: string): { host: string; port: number } {
  const match = /^(?:\[([^\]]+)\]|([^:]+)):(\d{1,5})$/.exec(address);
  const port = Number(match?.[3]);
  const host = match?.[1] ?? match?.[2];
  if (host === undefined || !Number.isInteger(port) || port < 1 || port > 65535) {
    throw new Error(`invalid runtime API address ${JSON.stringify(address)}; expected host:port`);
  }
  return { host, port };
}

const HINTS: Record<string, string> = {
  ECONNREFUSED: 'connection refused; is haproxy running?',
  ENOENT: 'socket file not found; is haproxy running with this stats socket?',
  EACCES: 'permission denied on the socket',
  ECONNRESET: 'connection reset by haproxy',
};

/**
 * Sends one command and resolves with the raw answer (possibly empty). Rejects with
 * `RuntimeApiError` when the endpoint cannot be reached or does not answer within `timeoutMs`.
 */
export function runtimeApiCommand(
  endpoint: RuntimeApiEndpoint,
  command: string,
  options: { timeoutMs?: number | undefined } = {},
): Promise<string> {
  assertSafeCommand(command);
  const timeoutMs = options.timeoutMs ?? DEFAULT_RUNTIME_API_TIMEOUT_MS;
  const where = describeEndpoint(endpoint);
  return new Promise<string>((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let settled = false;
    let socket: Socket;
    const fail = (code: string, reason: string) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket?.destroy();
      reject(new RuntimeApiError(`haproxy runtime API ${where}: ${reason} (${code})`, where, command, code));
    };
    const timer = setTimeout(() => fail('ETIMEDOUT', `no answer within ${timeoutMs}ms`), timeoutMs);
    try {
      socket =
        'socket' in endpoint
          ? createConnection({ path: endpoint.socket })
          : createConnection(parseAddress(endpoint.address));
    } catch (error) {
      clearTimeout(timer);
      settled = true;
      reject(error);
      return;
    }
    // Written without half-closing: HAProxy answers, then closes the connection itself.
    socket.on('connect', () => socket.write(`${command}\n`));
    socket.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_ANSWER_BYTES) return fail('EANSWERTOOLARGE', `answer exceeds ${MAX_ANSWER_BYTES} bytes`);
      chunks.push(chunk);
    });
    socket.on('end', () => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.end();
      resolve(Buffer.concat(chunks).toString('utf8'));
    });
    socket.on('error', (error: NodeJS.ErrnoException) => {
      const code = error.code ?? 'ESOCKET';
      fail(code, HINTS[code] ?? error.message);
    });
  });
}

/** Sends a command whose success answer is empty (e.g. `set weight`); any text is HAProxy refusing. */
export async function runtimeApiAction(
  endpoint: RuntimeApiEndpoint,
  command: string,
  options: { timeoutMs?: number | undefined } = {},
): Promise<void> {
  const answer = (await runtimeApiCommand(endpoint, command, options)).trim();
  if (answer !== '') throw refusedBy(endpoint, command, answer);
}

/** HAProxy answered a command with something other than what success looks like. */
export function refusedBy(endpoint: RuntimeApiEndpoint, command: string, answer: string): RuntimeApiError {
  const where = describeEndpoint(endpoint);
  const shown = answer.replace(/\s+/g, ' ').trim().slice(0, 200) || '(empty answer)';
  return new RuntimeApiError(
    `haproxy refused "${command}" (${where}): ${shown}`,
    where,
    command,
    'ANSWER',
    answer,
  );
}
