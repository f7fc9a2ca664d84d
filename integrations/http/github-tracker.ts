/** Tracker over GitHub issues; filing is idempotent per (launch label, title). */
import { z } from 'zod';
import type { GithubTrackerConfig } from '../config.js';
import type { ActionItemInput, Tracker, TrackedItem } from '../types.js';
import { clientFor, pathOf, type AdapterContext } from './client.js';
import { GITHUB_HEADERS, splitRepository } from './github-ci.js';

const issue = z.looseObject({
  number: z.number(),
  html_url: z.string(),
  title: z.string(),
  assignees: z
    .array(z.looseObject({ login: z.string() }))
    .nullable()
    .optional(),
  pull_request: z.unknown().optional(),
});
type Issue = z.output<typeof issue>;

function toTrackedItem(found: Issue): TrackedItem {
  // GitHub silently drops assignees who cannot be assigned; report who really is, not who was asked for.
  const assignee = found.assignees?.[0]?.login ?? '';
  return { id: String(found.number), url: found.html_url, assignee, title: found.title };
}

function issueBody(item: ActionItemInput): string {
  const lines = [`Action item from launch \`${item.launchId}\`.`, '', `Owner: @${item.owner}`];
  if (item.due) lines.push(`Due: ${item.due}`);
  return lines.join('\n');
}

export function createGithubTracker(config: GithubTrackerConfig, context: AdapterContext): Tracker {
  const client = clientFor(config, context, GITHUB_HEADERS);
  return {
    async file(project, item) {
      const { owner, repo } = splitRepository(project);
      const label = `launch:${item.launchId}`;
      const issuesPath = `${pathOf('repos', owner, repo)}/issues`;
      // The launch label narrows the search to this launch's items; the title identifies the item.
      const existing = await client.getJson(issuesPath, z.array(issue), {
        query: { labels: label, state: 'all', per_page: 100 },
      });
      const same = existing.find((found) => found.pull_request === undefined && found.title === item.title);
      if (same) return toTrackedItem(same);
      const body = { title: item.title, body: issueBody(item), assignees: [item.owner], labels: [label] };
      return toTrackedItem(await client.postJson(issuesPath, body, issue));
    },
  };
}
