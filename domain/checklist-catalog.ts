/**
 * The 60 items of the Phase 5 task list (`docs/phase5-tasklist.md`), each with a stable id, the
 * task list's exact text, and how it is verified. The structure also carries the document's
 * headings so the checklist renders back to the very same Markdown.
 */

export type TaskId = '5.1' | '5.2' | '5.3' | '5.4' | '5.5' | '5.6' | 'completion';

export type CatalogItem = {
  /** Stable id: `<task>.<section>.<item>`, e.g. `5.3.execution.traffic-10`. */
  id: string;
  task: TaskId;
  section: string;
  text: string;
  /** How the item is verified, in one sentence (shown in JSON and the docs). */
  verification: string;
};

type SectionSpec = { key: string; title: string; items: [key: string, text: string, verification: string][] };
type TaskSpec = { id: TaskId; title: string; sections: SectionSpec[] };

export const TASKS: TaskSpec[] = [
  {
    id: '5.1',
    title: 'TASK 5.1 — Pre-Launch Readiness Review',
    sections: [
      {
        key: 'policy',
        title: 'Readiness Policy',
        items: [
          ['owners', 'Go-live checklist owners defined', 'Every task of the plan names an owner.'],
          [
            'launch-window',
            'Launch window defined',
            'The plan has a launch window that has not already closed.',
          ],
          [
            'freeze-period',
            'Freeze period defined',
            'The plan has a freeze window covering the launch window.',
          ],
          ['rollback-authority', 'Rollback authority defined', 'The plan names who may order a rollback.'],
          [
            'success-metrics',
            'Launch success metrics defined',
            'Each success metric query runs against the metrics backend.',
          ],
        ],
      },
      {
        key: 'system',
        title: 'System Checks',
        items: [
          [
            'gate-docs',
            'Gates 1–4 documentation verified',
            'The docs integration reports every gate document passed.',
          ],
          ['ci-green', 'CI/CD pipelines green', "The pipeline's latest run on the branch concluded success."],
          [
            'capacity',
            'Infrastructure capacity verified',
            'The capacity headroom query is at or above the plan minimum.',
          ],
          [
            'secrets',
            'Production secrets verified',
            'Every required secret name is present in production (names only).',
          ],
          [
            'backups',
            'Backups configured and tested',
            'The last backup is fresh and its last restore test passed.',
          ],
        ],
      },
      {
        key: 'verification',
        title: 'Verification',
        items: [
          [
            'review-conducted',
            'Readiness review conducted',
            'All readiness checks passed and the summary went to the approvers.',
          ],
          [
            'go-no-go',
            'Explicit go/no-go decision recorded',
            'An authorised approver signalled "go" (a no-go or timeout aborts).',
          ],
        ],
      },
    ],
  },
  {
    id: '5.2',
    title: 'TASK 5.2 — Production Configuration Lockdown',
    sections: [
      {
        key: 'policy',
        title: 'Policy',
        items: [
          [
            'freeze-window',
            'Config freeze window defined',
            'The freeze window is valid and registered with the freeze gate.',
          ],
          [
            'override-process',
            'Emergency override process defined',
            'Override approvers are named and the freezeOverride signal is live.',
          ],
        ],
      },
      {
        key: 'configuration',
        title: 'Configuration',
        items: [
          [
            'env-locked',
            'Environment variables locked',
            'The env file is snapshotted and its hash recorded; re-read later to detect drift.',
          ],
          [
            'flags-locked',
            'Feature flags locked',
            'The feature-flag set is snapshotted and its hash recorded.',
          ],
          [
            'dependencies-locked',
            'Dependency versions locked',
            'The lockfile pins every package to an exact version with integrity.',
          ],
          [
            'debug-disabled',
            'Debug modes disabled',
            'No env var or flag matching a debug rule has a value outside the allowed list.',
          ],
        ],
      },
      {
        key: 'verification',
        title: 'Verification',
        items: [
          [
            'unauthorized-change-blocked',
            'Unauthorized config change blocked',
            'A change request without override is sent through the freeze gate and refused.',
          ],
          [
            'audit-trail',
            'Audit trail verified',
            'The refused request is in the audit log, which is complete and in order.',
          ],
        ],
      },
    ],
  },
  {
    id: '5.3',
    title: 'TASK 5.3 — Controlled Traffic Enablement',
    sections: [
      {
        key: 'strategy',
        title: 'Traffic Strategy',
        items: [
          [
            'ramp-defined',
            'Ramp strategy defined (0% → 10% → 50% → 100%)',
            'The ramp starts at 0, ends at 100 and strictly increases.',
          ],
          [
            'observation-windows',
            'Observation windows defined',
            'Every stage has an observation window of at least one analysis interval.',
          ],
          [
            'abort-thresholds',
            'Abort thresholds defined',
            'Every abort threshold query runs against the metrics backend.',
          ],
        ],
      },
      {
        key: 'execution',
        title: 'Execution',
        items: [
          [
            'dark-launch',
            'Dark launch (0%) enabled',
            'The new version is deployed to the canary slot and 0 % is read back from the router.',
          ],
          [
            'health-stable',
            'Health checks stable',
            'Every canary health probe passed through the dark-launch window.',
          ],
          [
            'traffic-10',
            '10% traffic enabled',
            '10 % is read back from the router and the analysis passes over the window.',
          ],
          [
            'metrics-reviewed-10',
            'Metrics reviewed',
            'At 10 %: an approver reviewed the metrics (or the plan delegates to the analysis).',
          ],
          [
            'traffic-50',
            '50% traffic enabled',
            '50 % is read back from the router and the analysis passes over the window.',
          ],
          [
            'metrics-reviewed-50',
            'Metrics reviewed',
            'At 50 %: an approver reviewed the metrics (or the plan delegates to the analysis).',
          ],
          [
            'traffic-100',
            '100% traffic enabled',
            '100 % is read back from the router and the analysis passes over the window.',
          ],
        ],
      },
      {
        key: 'verification',
        title: 'Verification',
        items: [
          [
            'no-slo-violations',
            'No SLO violations',
            'Every success metric is within bounds at full traffic.',
          ],
          ['error-rates', 'Error rates acceptable', 'No error threshold ended a stage in breach.'],
          ['latency', 'Latency within bounds', 'No latency threshold ended a stage in breach.'],
        ],
      },
    ],
  },
  {
    id: '5.4',
    title: 'TASK 5.4 — Rollback Readiness & Execution Test',
    sections: [
      {
        key: 'design',
        title: 'Rollback Design',
        items: [
          [
            'triggers',
            'Rollback triggers defined',
            'Thresholds, breach and inconclusive limits and abort causes are stated.',
          ],
          [
            'steps',
            'Rollback steps documented',
            'The rollback steps for this plan are written out and sent to the channels.',
          ],
          [
            'communication',
            'Communication protocol defined',
            'Every notification channel is configured and received a test message.',
          ],
        ],
      },
      {
        key: 'execution',
        title: 'Execution',
        items: [
          [
            'bad-version-deployed',
            'Known-bad version deployed to staging',
            'The known-bad version is deployed and read back on staging.',
          ],
          [
            'rollback-triggered',
            'Rollback triggered',
            'The analysis detected the breach and the drill rolled back on its own.',
          ],
          [
            'recovery-observed',
            'Recovery observed',
            'After the rollback the analysis passed the required evaluations in a row.',
          ],
        ],
      },
      {
        key: 'verification',
        title: 'Verification',
        items: [
          [
            'rollback-successful',
            'Rollback successful',
            'Staging runs the previous version again and its health probe passes.',
          ],
          [
            'no-data-loss',
            'No data loss observed',
            'Every write acknowledged before and during the drill can still be read.',
          ],
        ],
      },
    ],
  },
  {
    id: '5.5',
    title: 'TASK 5.5 — Post-Launch Monitoring & Stabilization',
    sections: [
      {
        key: 'policy',
        title: 'Monitoring Policy',
        items: [
          [
            'window',
            'Heightened monitoring window defined',
            'The monitoring window and interval are set and consistent.',
          ],
          [
            'on-call',
            'On-call rotation confirmed',
            'The person on call per the rotation acknowledged the launch.',
          ],
        ],
      },
      {
        key: 'execution',
        title: 'Operational Execution',
        items: [
          [
            'errors',
            'Error rates monitored',
            'Error thresholds were evaluated at every interval of the window.',
          ],
          [
            'latency',
            'Latency monitored',
            'Latency thresholds were evaluated at every interval of the window.',
          ],
          [
            'resources',
            'Resource utilization monitored',
            'Resource thresholds were evaluated at every interval of the window.',
          ],
          [
            'business',
            'Business metrics monitored',
            'Business thresholds were evaluated at every interval of the window.',
          ],
        ],
      },
      {
        key: 'verification',
        title: 'Verification',
        items: [
          [
            'no-incidents',
            'No unresolved incidents',
            'The incidents integration reports no open incident for the service.',
          ],
          [
            'stable',
            'Metrics stable over window',
            'No threshold reached its breach or inconclusive limit during the window.',
          ],
        ],
      },
    ],
  },
  {
    id: '5.6',
    title: 'TASK 5.6 — Post-Launch Review & Closure',
    sections: [
      {
        key: 'review',
        title: 'Review',
        items: [
          ['conducted', 'Post-launch review conducted', 'The review owner sent the postLaunchReview signal.'],
          [
            'issues',
            'Issues identified',
            'The review lists the issues found (possibly none, stated explicitly).',
          ],
          ['improvements', 'Improvements identified', 'The review lists at least one improvement.'],
        ],
      },
      {
        key: 'documentation',
        title: 'Documentation',
        items: [
          ['runbooks', 'Runbooks updated', 'The runbook link is under the configured docs and answers 2xx.'],
          [
            'architecture-docs',
            'Architecture docs updated',
            'The architecture doc link is under the configured docs and answers 2xx.',
          ],
          ['lessons', 'Lessons learned recorded', 'The review records lessons learned.'],
        ],
      },
      {
        key: 'verification',
        title: 'Verification',
        items: [
          ['action-items-tracked', 'Action items tracked', 'Every action item is filed in the tracker.'],
          ['ownership', 'Ownership assigned', 'Every filed action item is assigned to its owner.'],
        ],
      },
    ],
  },
];

export const COMPLETION = {
  title: 'PHASE 5 COMPLETION',
  items: [
    ['all-tasks', 'All Phase 5 tasks complete', 'Every item of tasks 5.1–5.6 passed.'],
    [
      'all-verifications',
      'All verification steps passed',
      'Every item of every Verification section passed.',
    ],
    [
      'production-stable',
      'Production stable',
      "A final analysis (a non-passing value measured again, judged by the plan's abort limits), health probe and config drift check pass.",
    ],
  ] as [string, string, string][],
};

export const CATALOG: CatalogItem[] = [
  ...TASKS.flatMap((task) =>
    task.sections.flatMap((section) =>
      section.items.map(([key, text, verification]) => ({
        id: `${task.id}.${section.key}.${key}`,
        task: task.id,
        section: section.key,
        text,
        verification,
      })),
    ),
  ),
  ...COMPLETION.items.map(([key, text, verification]) => ({
    id: `completion.${key}`,
    task: 'completion' as const,
    section: 'completion',
    text,
    verification,
  })),
];

const BY_ID = new Map(CATALOG.map((item) => [item.id, item]));

export function catalogItem(id: string): CatalogItem {
  const item = BY_ID.get(id);
  if (!item) throw new Error(`unknown checklist item "${id}"`);
  return item;
}

export function itemsOfTask(task: TaskId): CatalogItem[] {
  return CATALOG.filter((item) => item.task === task);
}
