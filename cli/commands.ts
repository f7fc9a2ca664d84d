/** The commands: each declares its arguments and help, and maps one API call to output + exit code. */
import { readFile } from 'node:fs/promises';
import { userInfo } from 'node:os';
import type { ParseArgsConfig } from 'node:util';
import YAML from 'yaml';
import type { AuditEntry } from '../domain/launch-state.js';
import { CliError, EXIT, type ApiClient } from './api-client.js';
import {
  formatAudit,
  formatList,
  formatStarted,
  formatStatus,
  type ListItem,
  type StartReply,
  type StatusReply,
} from './format.js';
import { watchLaunch } from './watch.js';

export type Values = Record<string, string | boolean | undefined>;

export type Context = {
  api: ApiClient;
  /** Print the API's JSON instead of the human rendering. */
  json: boolean;
  out: (text: string) => void;
  err: (text: string) => void;
  /** A token is sent (the API then knows who is calling). */
  hasToken: boolean;
  /** Aborted on Ctrl-C. */
  interrupt: AbortSignal;
};

export type Command = {
  name: string;
  args: string[];
  summary: string;
  /** Options shown in the one-line usage (default: every option in `optionHelp`). */
  synopsis?: string;
  options: NonNullable<ParseArgsConfig['options']>;
  /** `[flag, description]` lines for `--help`. */
  optionHelp: [string, string][];
  details: string[];
  run: (ctx: Context, args: string[], values: Values) => Promise<number>;
};

const launchPath = (id: string) => `/launches/${encodeURIComponent(id)}`;
const printJson = (ctx: Context, value: unknown) => ctx.out(JSON.stringify(value, null, 2));

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

async function readInput(file: string, what: string): Promise<string> {
  try {
    return file === '-' ? await readStdin() : await readFile(file, 'utf8');
  } catch (err) {
    throw new CliError(`cannot read ${what} ${file}: ${(err as Error).message}`, EXIT.invalid);
  }
}

/** A plan file: JSON for `.json`, YAML otherwise (YAML also reads JSON). */
export async function readPlan(file: string): Promise<unknown> {
  const text = await readInput(file, 'plan file');
  const name = file === '-' ? 'standard input' : file;
  if (file.toLowerCase().endsWith('.json')) {
    try {
      return JSON.parse(text);
    } catch (err) {
      throw new CliError(`${name} is not valid JSON: ${(err as Error).message}`, EXIT.invalid);
    }
  }
  const doc = YAML.parseDocument(text, { prettyErrors: true });
  if (doc.errors.length > 0)
    throw new CliError(
      [
        `${name} is not valid YAML:`,
        ...doc.errors.map((e) => `  ${e.message.split('\n')[0]?.replace(/:$/, '')}`),
      ].join('\n'),
      EXIT.invalid,
    );
  return doc.toJS();
}

/** `--json '{…}'` or `--json @payload.json` (`@-`: standard input). */
async function readPayload(spec: string): Promise<unknown> {
  const text = spec.startsWith('@') ? await readInput(spec.slice(1), 'payload file') : spec;
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new CliError(`the payload is not valid JSON: ${(err as Error).message}`, EXIT.invalid);
  }
}

async function sendAction(ctx: Context, id: string, path: string, name: string, payload: unknown) {
  const reply = await ctx.api.post<{ auditSeq?: number }>(path, payload, { signal: ctx.interrupt });
  if (ctx.json) printJson(ctx, reply.body);
  else ctx.out(`${name} accepted by launch ${id} (audit #${reply.body.auditSeq ?? '?'})`);
  return EXIT.ok;
}

const start: Command = {
  name: 'start',
  args: ['plan.yaml|plan.json'],
  summary: 'start a launch from a plan file (YAML or JSON; "-": standard input)',
  options: {},
  optionHelp: [],
  details: [
    'Prints the launch id and its links. Starting the same launch id again starts nothing:',
    'it prints the existing launch (exit 0) and notes when your plan differs from the running one.',
    'A refused plan (400) prints every bad field, one per line, and exits 2.',
    'While another launch of the service runs in the same production environment: 409, the running',
    'launch is named, exit 5.',
  ],
  async run(ctx, [file = '']) {
    const plan = await readPlan(file);
    const reply = await ctx.api.post<StartReply>('/launches', plan, { signal: ctx.interrupt });
    if (ctx.json) printJson(ctx, reply.body);
    else ctx.out(formatStarted(reply.body, (p) => ctx.api.absolute(p)));
    return EXIT.ok;
  },
};

const list: Command = {
  name: 'list',
  args: [],
  summary: 'list launches (newest first)',
  options: { service: { type: 'string' }, phase: { type: 'string' }, limit: { type: 'string' } },
  optionHelp: [
    ['--service S', 'only launches of service S'],
    ['--phase P', 'only launches in phase P (READINESS, TRAFFIC, LIVE, ABORTED, …)'],
    ['--limit N', 'at most N launches (default 50, max 500)'],
  ],
  details: [],
  async run(ctx, _args, values) {
    const reply = await ctx.api.get<{ items: ListItem[] }>('/launches', {
      query: {
        service: values.service as string | undefined,
        phase: (values.phase as string | undefined)?.toUpperCase(),
        limit: values.limit as string | undefined,
      },
      signal: ctx.interrupt,
    });
    if (ctx.json) printJson(ctx, reply.body);
    else ctx.out(formatList(reply.body.items));
    return EXIT.ok;
  },
};

const status: Command = {
  name: 'status',
  args: ['id'],
  summary: 'phase, task, traffic, pending approvals and the JSON each expects, timer, analysis',
  options: {},
  optionHelp: [],
  details: ['Each pending approval shows who may send it, the exact payload and the command to send it.'],
  async run(ctx, [id = '']) {
    const reply = await ctx.api.get<StatusReply>(launchPath(id), { signal: ctx.interrupt });
    if (ctx.json) printJson(ctx, reply.body);
    else ctx.out(formatStatus(reply.body));
    return EXIT.ok;
  },
};

const checklist: Command = {
  name: 'checklist',
  args: ['id'],
  summary: "the launch's task list as Markdown (60 items, checked when passed)",
  options: {},
  optionHelp: [],
  details: ['With --json: every item with its status and evidence.'],
  async run(ctx, [id = '']) {
    const path = `${launchPath(id)}/checklist`;
    if (ctx.json) {
      printJson(ctx, (await ctx.api.get(path, { signal: ctx.interrupt })).body);
    } else {
      const reply = await ctx.api.get<string>(path, { accept: 'text/markdown', signal: ctx.interrupt });
      ctx.out(reply.text.replace(/\n$/, ''));
    }
    return EXIT.ok;
  },
};

const audit: Command = {
  name: 'audit',
  args: ['id'],
  summary: 'the audit log: every phase, decision, accepted and refused action',
  options: {},
  optionHelp: [],
  details: ['"(claimed)" marks a name typed into a signal, not a proven identity.'],
  async run(ctx, [id = '']) {
    const reply = await ctx.api.get<{ entries: AuditEntry[] }>(`${launchPath(id)}/audit`, {
      signal: ctx.interrupt,
    });
    if (ctx.json) printJson(ctx, reply.body);
    else ctx.out(formatAudit(id, reply.body.entries));
    return EXIT.ok;
  },
};

const watch: Command = {
  name: 'watch',
  args: ['id'],
  summary: 'follow a launch live, one line per change, until it ends',
  options: {},
  optionHelp: [],
  details: [
    'Polls every second and prints a line when the phase, traffic, metric values, next timer or',
    'pending approvals change. Exits 0 when the launch goes LIVE, 3 when it ends ABORTED,',
    'ROLLED_BACK or FAILED (the cause is printed), 130 on Ctrl-C (the launch carries on).',
    'With --json: one status JSON per line (NDJSON) for each change.',
  ],
  run: (ctx, [id = '']) => watchLaunch(ctx, id),
};

const signal: Command = {
  name: 'signal',
  args: ['id', 'name'],
  summary: 'send an approval or action (goNoGo, metricsReview, onCallAck, freezeOverride, …)',
  synopsis: "--json '{…}'|@file.json [--raw]",
  // Here `--json` is the payload, so the raw reply is `--raw`.
  options: { json: { type: 'string' } },
  optionHelp: [
    ["--json '{…}'", 'the payload (required); `launch-control status <id>` shows what is expected'],
    ['--json @file.json', 'the payload from a file ("@-": standard input)'],
    ['--raw', "print the API's JSON reply"],
  ],
  details: [
    'The launch answers at once: exit 0 accepted; refused: the reason is printed and the exit code',
    'says why: 2 malformed payload (every bad field is listed), 4 sender not allowed (403),',
    '5 nothing of that kind is awaited now, or the launch has ended (409).',
    'Example: launch-control signal checkout-2.0.0 goNoGo --json \'{"by":"alice","decision":"go"}\'',
  ],
  async run(ctx, [id = '', name = ''], values) {
    if (typeof values.json !== 'string')
      throw new CliError("signal needs a payload: --json '{…}' or --json @file.json", EXIT.invalid);
    const payload = await readPayload(values.json);
    return sendAction(ctx, id, `${launchPath(id)}/signals/${encodeURIComponent(name)}`, name, payload);
  },
};

const abort: Command = {
  name: 'abort',
  args: ['id'],
  summary: 'abort a launch and roll back to the previous version',
  synopsis: '--reason "…" [--by NAME]',
  options: { reason: { type: 'string' }, by: { type: 'string' } },
  optionHelp: [
    ['--reason "…"', 'why (required; recorded in the audit log)'],
    [
      '--by NAME',
      "who aborts (default: the token's holder; without a token $LAUNCH_CONTROL_USER, else your login name)",
    ],
  ],
  details: [
    'Allowed for the rollback authority and the launch owners; exits 4 when the sender may not',
    'abort, 5 when the launch has already ended. Follow the rollback with `watch`.',
  ],
  async run(ctx, [id = ''], values) {
    const reason = typeof values.reason === 'string' ? values.reason.trim() : '';
    if (!reason) throw new CliError('abort needs --reason "…"', EXIT.invalid);
    // With a token the API fills `by` in from it (and refuses any other name), so it is left out.
    const by =
      (values.by as string | undefined) ||
      (ctx.hasToken ? undefined : process.env.LAUNCH_CONTROL_USER || userInfo().username);
    return sendAction(ctx, id, `${launchPath(id)}/abort`, 'abort', by ? { by, reason } : { reason });
  },
};

export const COMMANDS: Command[] = [start, list, status, watch, checklist, audit, signal, abort];
