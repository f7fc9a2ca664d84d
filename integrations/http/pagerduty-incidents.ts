/** Incidents over the PagerDuty REST API: `GET /incidents?statuses[]=…&service_ids[]=…`. */
import { z } from 'zod';
import type { PagerdutyIncidentsConfig } from '../config.js';
import type { Incidents } from '../types.js';
import { clientFor, type AdapterContext } from './client.js';
import { PAGERDUTY_HEADERS } from './pagerduty-oncall.js';

const incidentsResponse = z.looseObject({
  incidents: z.array(
    z.looseObject({ id: z.string(), title: z.string(), status: z.string(), html_url: z.string() }),
  ),
});

export function createPagerdutyIncidents(
  config: PagerdutyIncidentsConfig,
  context: AdapterContext,
): Incidents {
  const client = clientFor(config, context, PAGERDUTY_HEADERS);
  return {
    async unresolved(service) {
      const query = { 'statuses[]': ['triggered', 'acknowledged'], 'service_ids[]': [service], limit: 100 };
      const { incidents } = await client.getJson('/incidents', incidentsResponse, { query });
      return incidents.map(({ id, title, status, html_url }) => ({ id, title, status, url: html_url }));
    },
  };
}
