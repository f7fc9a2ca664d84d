/** OnCall over the PagerDuty REST API: `GET /oncalls?schedule_ids[]=…&include[]=users`. */
import { z } from 'zod';
import { person } from '../../domain/plan.js';
import type { PagerdutyOnCallConfig } from '../config.js';
import type { OnCall, OnCallShift } from '../types.js';
import { clientFor, type AdapterContext } from './client.js';

export const PAGERDUTY_HEADERS = { accept: 'application/vnd.pagerduty+json;version=2' };

const oncallsResponse = z.looseObject({
  oncalls: z.array(
    z.looseObject({
      // `summary` is the display name; `email` comes only with `include[]=users`.
      user: z.looseObject({ id: z.string(), summary: z.string(), email: z.string().nullish() }),
      schedule: z.looseObject({ id: z.string() }).nullable().optional(),
      escalation_level: z.number().optional(),
      // PagerDuty sends null for a permanent (non-scheduled) assignment.
      start: z.string().nullable().optional(),
      end: z.string().nullable().optional(),
    }),
  ),
});

type PagerdutyUser = { id: string; summary: string; email?: string | null | undefined };

/** The server's mapping wins over the e-mail (config is the operator's deliberate statement). */
function identityOf(
  user: PagerdutyUser,
  config: PagerdutyOnCallConfig,
): Pick<OnCallShift, 'person' | 'identitySource'> {
  const mapped = config.identities !== undefined && Object.hasOwn(config.identities, user.id);
  if (mapped) return { person: config.identities![user.id]!, identitySource: 'mapping' };
  if (config.emailAsIdentity !== false && user.email) {
    // Approvals compare identities exactly; e-mail addresses are compared case-insensitively in practice.
    const email = person.safeParse(user.email.trim().toLowerCase());
    if (email.success) return { person: email.data, identitySource: 'email' };
  }
  return { person: null, identitySource: null };
}

export function createPagerdutyOnCall(config: PagerdutyOnCallConfig, context: AdapterContext): OnCall {
  const client = clientFor(config, context, PAGERDUTY_HEADERS);
  return {
    async current(schedule) {
      const { oncalls } = await client.getJson('/oncalls', oncallsResponse, {
        query: { 'schedule_ids[]': [schedule], 'include[]': ['users'] },
      });
      // Several escalation levels may be on call for one schedule; the first responder is the lowest level.
      const shift = oncalls
        .filter((entry) => entry.schedule?.id === schedule)
        .sort((a, b) => (a.escalation_level ?? 1) - (b.escalation_level ?? 1))[0];
      if (shift === undefined) return null;
      return {
        ...identityOf(shift.user, config),
        displayName: shift.user.summary,
        userId: shift.user.id,
        schedule,
        start: shift.start ?? '',
        end: shift.end ?? '',
      };
    },
  };
}
