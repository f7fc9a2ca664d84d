/**
 * The value types of a launch plan (names, versions, people, launch ids, durations, times), each
 * with its bounds. `plan.ts` composes them; the API's route parameters reuse `launchIdSchema`.
 *
 * Every duration and time is bounded, so no plan can make a workflow compute an invalid date or
 * sleep for centuries: parsing never throws, and a bad value is an issue on its own field.
 */
import { z } from 'zod';
import { DURATION_PATTERN, durationMs } from './durations.js';

const SLUG = /^[a-z0-9][a-z0-9._-]{0,62}$/;
const VERSION = /^[A-Za-z0-9][A-Za-z0-9._+-]{0,63}$/;

export const slug = z.string().regex(SLUG, 'lower-case letters, digits, ".", "_" or "-" (max 63)');
export const versionString = z.string().regex(VERSION, 'a version such as 1.4.2 or 2024-06-01.3');
export const person = z
  .string()
  .min(1)
  .max(120)
  .regex(/^[^\s<>"'`]+$/, 'a user name or e-mail without spaces or quotes');

/**
 * A launch id (= the launch's Temporal workflow id, the `:id` of the API's routes). Long enough
 * for every `<service>-<version>` (63 + 1 + 64 characters), so any launch the API can start it
 * can also read and abort.
 */
export const MAX_LAUNCH_ID_LENGTH = 128;
export const launchIdSchema = z
  .string()
  .regex(
    new RegExp(`^[a-z0-9][a-z0-9._-]{0,${MAX_LAUNCH_ID_LENGTH - 1}}$`),
    `lower-case letters, digits, ".", "_" or "-", starting with a letter or digit (max ${MAX_LAUNCH_ID_LENGTH})`,
  );

/** No duration in a plan may be longer (a launch's whole life stays in the order of weeks). */
export const MAX_DURATION = '30d';

/** A duration string between `min` (exclusive of zero) and `max`; the issue names the bound. */
export function durationWithin(bounds: { min?: string; max: string }) {
  const minMs = bounds.min ? durationMs(bounds.min) : 0;
  const maxMs = durationMs(bounds.max);
  return z
    .string()
    .regex(DURATION_PATTERN, 'a duration such as 500ms, 30s, 5m, 2h or 1d')
    .superRefine((text, ctx) => {
      const ms = durationMs(text);
      if (Number.isNaN(ms)) return; // the pattern's issue says it
      const problem =
        ms <= 0
          ? 'must be longer than zero'
          : ms < minMs
            ? `at least ${bounds.min}`
            : ms > maxMs
              ? `at most ${bounds.max}`
              : null;
      if (problem) ctx.addIssue({ code: 'custom', message: problem, input: text });
    });
}

/** Any duration of a plan: positive and at most `MAX_DURATION`; fields may bound it more tightly. */
export const duration = durationWithin({ max: MAX_DURATION });

const DAY_MS = 86_400_000;
/** `now±…` reaches at most this far. */
export const MAX_TIME_OFFSET = '365d';
/**
 * No time lies further ahead than this when a plan is checked (a day more than the offset, so a
 * `now+365d` resolved by the API is still accepted by a workflow whose clock runs slightly ahead).
 */
const MAX_AHEAD_MS = 366 * DAY_MS;
/**
 * No time lies before this. The past is bounded by a fixed date, not by "now": a task started
 * weeks into a launch checks the same plan again and must accept it; windows are bounded in
 * length instead (see `plan.ts`).
 */
export const EARLIEST_TIME = '2000-01-01T00:00:00Z';

const RELATIVE_TIME = /^now(?:([+-])(\d{1,9}(?:ms|s|m|h|d)))?$/;
const TIME_FORMAT = 'an ISO date-time such as 2026-12-01T09:00:00Z, or now, now+4h, now-5m';

/**
 * A point in time: an ISO date-time, or `now` / `now+4h` / `now-5m`, resolved when the plan is
 * parsed (in a workflow, against workflow time, so replay resolves it the same way). The parsed
 * plan always holds absolute times, which is what child workflows receive.
 */
export const timeSchema = z
  .union([z.iso.datetime({ offset: true }), z.string().regex(RELATIVE_TIME)], { error: TIME_FORMAT })
  .transform((text, ctx) => {
    const now = Date.now();
    const relative = RELATIVE_TIME.exec(text);
    let at: number;
    if (relative) {
      const [, sign, offset] = relative;
      const offsetMs = offset ? durationMs(offset) : 0;
      // Checked before any Date is built from it: `now+99999999d` is past the end of time.
      if (!(offsetMs <= durationMs(MAX_TIME_OFFSET))) {
        ctx.addIssue({ code: 'custom', message: `at most ${MAX_TIME_OFFSET} from now`, input: text });
        return z.NEVER;
      }
      at = now + (sign === '-' ? -offsetMs : offsetMs);
    } else at = Date.parse(text);
    const problem = !Number.isFinite(at)
      ? TIME_FORMAT
      : at < Date.parse(EARLIEST_TIME)
        ? `not before ${EARLIEST_TIME}`
        : at > now + MAX_AHEAD_MS
          ? 'at most a year (366d) from now'
          : null;
    if (problem) {
      ctx.addIssue({ code: 'custom', message: problem, input: text });
      return z.NEVER;
    }
    return relative ? new Date(at).toISOString() : text;
  });

/** What a threshold watches; heightened monitoring needs one of each. */
export const THRESHOLD_CATEGORIES = ['errors', 'latency', 'resources', 'business'] as const;
export type ThresholdCategory = (typeof THRESHOLD_CATEGORIES)[number];
