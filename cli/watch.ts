/**
 * `watch`: polls `GET /launches/:id` every second and prints a line whenever what a person
 * follows changes. A network blip or a 5xx while watching is retried for a while; anything the
 * API refuses (404, 401/403) ends the watch at once.
 */
import { CliError, EXIT } from './api-client.js';
import type { Context } from './commands.js';
import { clock, endSummary, hasEnded, watchLine, type StatusReply } from './format.js';

const POLL_MS = 1_000;
/** How long the API may stay unreachable once the watch has started. */
const GIVE_UP_AFTER_MS = 30_000;

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal.addEventListener('abort', done, { once: true });
  });
}

const isTransient = (err: unknown) =>
  err instanceof CliError && err.exitCode === EXIT.error && (err.status === undefined || err.status >= 500);

export async function watchLaunch(ctx: Context, id: string): Promise<number> {
  const path = `/launches/${encodeURIComponent(id)}`;
  let shown: string | null = null;
  let failingSince: number | null = null;
  try {
    for (;;) {
      const began = Date.now();
      let status: StatusReply | null = null;
      try {
        status = (await ctx.api.get<StatusReply>(path, { signal: ctx.interrupt })).body;
        if (failingSince !== null) ctx.err(`${clock(new Date())} the API answers again`);
        failingSince = null;
      } catch (err) {
        // The first read must work: a wrong id or URL is reported at once.
        if (ctx.interrupt.aborted || shown === null || !isTransient(err)) throw err;
        const first = (err as CliError).message.split('\n')[0];
        if (failingSince === null) {
          failingSince = Date.now();
          ctx.err(`${clock(new Date())} ${first}; retrying for up to ${GIVE_UP_AFTER_MS / 1000}s`);
        } else if (Date.now() - failingSince > GIVE_UP_AFTER_MS) throw err;
      }
      if (status) {
        const line = watchLine(status);
        if (line !== shown) {
          ctx.out(ctx.json ? JSON.stringify(status) : `${clock(new Date())} ${line}`);
          shown = line;
        }
        if (hasEnded(status)) {
          // With --json, standard output stays NDJSON; the summary goes to standard error.
          (ctx.json ? ctx.err : ctx.out)(endSummary(status));
          return status.phase === 'LIVE' ? EXIT.ok : EXIT.notLive;
        }
      }
      await sleep(Math.max(0, POLL_MS - (Date.now() - began)), ctx.interrupt);
      if (ctx.interrupt.aborted) break;
    }
  } catch (err) {
    if (!ctx.interrupt.aborted) throw err;
  }
  ctx.err(`stopped watching ${id}; the launch carries on (launch-control status ${id})`);
  return EXIT.interrupted;
}
