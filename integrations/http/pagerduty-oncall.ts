/** OnCall over the PagerDuty REST API: `GET /oncalls?schedule_ids[]=…`. */
import { z } from 'zod';
import type { PagerdutyOnCallConfig } from '../config.js';
import type { OnCall } from '../types.js';
import { clientFor, type AdapterContext } from './client.js';

export const PAGERDUTY_HEADERS = { accept: 'application/vnd.pagerduty+json;version=2' };

const oncallsResponse = z.looseObject({
  oncalls: z.array(
    z.looseObject({
      user: z.looseObject({ summary: z.string() }),
      schedule: z.looseObject({ id: z.string() }).nullable().optional(),
      escalation_level: z.number().optional(),
      // PagerDuty sends null for a permanent (non-scheduled) assignment.
      start: z.string().nullable().optional(),
      end: z.string().nullable().optional(),
    }),
  ),
});

export function createPagerdutyOnCall(config: PagerdutyOnCallConfig, context: AdapterContext): OnCall {
  const client = clientFor(config, context, PAGERDUTY_HEADERS);
  return {
    async current(schedule) {
      const { oncalls } = await client.getJson('/oncalls', oncallsResponse, {
        query: { 'schedule_ids[]': [schedule] },
      });
      // Several escalation levels may be on call for one schedule; the first responder is the lowest level.
      const shift = oncalls
        .filter((entry) => entry.schedule?.id === schedule)
        .sort((a, b) => (a.escalation_level ?? 1) - (b.escalation_level ?? 1))[0];
      if (shift === undefined) return null;
      return { person: shift.user.summary, schedule, start: shift.start ?? '', end: shift.end ?? '' };
    },
  };
}
