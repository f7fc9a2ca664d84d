/** CiStatus over the GitHub Actions API: `GET /repos/{owner}/{repo}/actions/runs`. */
import { z } from 'zod';
import type { GithubCiConfig } from '../config.js';
import type { CiStatus } from '../types.js';
import { clientFor, pathOf, type AdapterContext } from './client.js';

export const GITHUB_HEADERS = { accept: 'application/vnd.github+json', 'x-github-api-version': '2022-11-28' };

const runsResponse = z.looseObject({
  workflow_runs: z.array(
    z.looseObject({
      id: z.union([z.number(), z.string()]).transform(String),
      status: z.string(),
      conclusion: z.string().nullable(),
      html_url: z.string(),
      head_sha: z.string(),
    }),
  ),
});

/** `"owner/repo"` → its two parts; anything else is a plan error worth a clear message. */
export function splitRepository(value: string): { owner: string; repo: string } {
  const match = /^([A-Za-z0-9_.-]+)\/([A-Za-z0-9_.-]+)$/.exec(value);
  if (!match || match[1] === undefined || match[2] === undefined) {
    throw new Error(`expected "owner/repo", got ${JSON.stringify(value)}`);
  }
  return { owner: match[1], repo: match[2] };
}

export function createGithubCiStatus(config: GithubCiConfig, context: AdapterContext): CiStatus {
  const client = clientFor(config, context, GITHUB_HEADERS);
  return {
    async latestRun(pipeline, branch) {
      const { owner, repo } = splitRepository(pipeline);
      const path = `${pathOf('repos', owner, repo)}/actions/runs`;
      const { workflow_runs: runs } = await client.getJson(path, runsResponse, {
        query: { branch, per_page: 1 },
      });
      const run = runs[0];
      if (run === undefined) return null;
      return {
        id: run.id,
        status: run.status,
        conclusion: run.conclusion,
        url: run.html_url,
        headSha: run.head_sha,
      };
    },
  };
}
