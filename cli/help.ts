/** `--help` texts: the overview (with the exit codes) and one page per command. */
import type { Command } from './commands.js';

export const DEFAULT_API = 'http://127.0.0.1:8080';

const EXIT_CODES = [
  'Exit codes:',
  '  0    done (start: created, or the launch already existed; watch: the launch went LIVE)',
  '  1    error: API unreachable, no such launch, server error',
  '  2    usage error, unreadable file, or invalid request (400: every bad field is printed)',
  '  3    watch: the launch ended ABORTED, ROLLED_BACK or FAILED (the cause is printed)',
  '  4    not authenticated or not allowed (401/403, including an approver the launch refuses)',
  '  5    conflict (409): that action is not awaited now, or the launch has ended;',
  '       start: another launch of the service runs in that production environment (it is named)',
  '  130  interrupted (Ctrl-C)',
];

const GLOBAL_OPTIONS = [
  ['--api URL', `the REST API (default: $LAUNCH_CONTROL_API, else ${DEFAULT_API})`],
  ['--json', "print the API's raw JSON instead of text, for scripts (signal: --raw)"],
  ['-h, --help', 'this help; `launch-control <command> --help` for one command'],
];

const ENVIRONMENT = [
  'Environment:',
  '  LAUNCH_CONTROL_API    default for --api',
  '  LAUNCH_CONTROL_TOKEN  API token, sent as "Authorization: Bearer <token>"',
  '  LAUNCH_CONTROL_USER   default --by for abort',
];

const columns = (rows: string[][], indent = '  ') => {
  const width = Math.max(...rows.map((r) => (r[0] ?? '').length));
  return rows.map(([a = '', b = '']) => `${indent}${a.padEnd(width)}  ${b}`.trimEnd());
};

export function commandSynopsis(cmd: Command): string {
  const args = cmd.args.map((a) => `<${a}>`);
  if (cmd.synopsis) return ['launch-control', cmd.name, ...args, cmd.synopsis].join(' ');
  const opts = cmd.optionHelp.map(([flag]) => `[${flag}]`);
  return ['launch-control', cmd.name, ...args, ...opts].join(' ');
}

export function globalHelp(commands: Command[]): string {
  return [
    'launch-control: production launches through the Launch Control REST API',
    '',
    'Usage: launch-control <command> [arguments] [--api URL] [--json]',
    '',
    'Commands:',
    ...columns(commands.map((c) => [[c.name, ...c.args.map((a) => `<${a}>`)].join(' '), c.summary])),
    '',
    'Global options (any command):',
    ...columns(GLOBAL_OPTIONS),
    '',
    ...ENVIRONMENT,
    '',
    ...EXIT_CODES,
  ].join('\n');
}

export function commandHelp(cmd: Command): string {
  const options = [
    ...cmd.optionHelp,
    ...GLOBAL_OPTIONS.filter(([f]) => !(cmd.name === 'signal' && f === '--json')),
  ];
  return [
    `Usage: ${commandSynopsis(cmd)}`,
    '',
    `${cmd.summary[0]?.toUpperCase() ?? ''}${cmd.summary.slice(1)}.`,
    ...(cmd.details.length ? ['', ...cmd.details] : []),
    '',
    'Options:',
    ...columns(options),
    '',
    ...EXIT_CODES,
  ].join('\n');
}

/** Short usage for a usage error (exit 2). */
export function usageHint(cmd: Command | null): string {
  return cmd
    ? `usage: ${commandSynopsis(cmd)}\n(launch-control ${cmd.name} --help for details)`
    : 'usage: launch-control <command> [arguments]\n(launch-control --help lists the commands)';
}
