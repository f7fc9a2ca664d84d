/**
 * `launch-control <command>`: argument parsing (node:util parseArgs), dispatch, and the mapping of
 * every failure to a message and an exit code. Run through cli/bin.mjs.
 */
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { ApiClient, CliError, EXIT } from './api-client.js';
import { COMMANDS, type Command, type Context, type Values } from './commands.js';
import { commandHelp, DEFAULT_API, globalHelp, usageHint } from './help.js';

export { EXIT } from './api-client.js';

const GLOBAL_OPTIONS = {
  api: { type: 'string' },
  json: { type: 'boolean' },
  raw: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} satisfies NonNullable<ParseArgsConfig['options']>;

export type Io = {
  out: (text: string) => void;
  err: (text: string) => void;
  env: Record<string, string | undefined>;
};

const processIo: Io = {
  out: (text) => process.stdout.write(`${text}\n`),
  err: (text) => process.stderr.write(`${text}\n`),
  env: process.env,
};

type Parsed =
  | { kind: 'help'; text: string }
  | { kind: 'usage'; message: string; command: Command | null }
  | { kind: 'run'; command: Command; args: string[]; values: Values };

/** Splits argv into a command, its positionals and its options (global options go anywhere). */
export function parseCommandLine(argv: string[]): Parsed {
  // First pass, lenient: find the command (the first positional; `--api URL` may precede it).
  const { tokens = [], values } = parseArgs({
    args: argv,
    options: GLOBAL_OPTIONS,
    strict: false,
    allowPositionals: true,
    tokens: true,
  });
  const first = tokens.find((t) => t.kind === 'positional');
  if (!first || first.kind !== 'positional')
    return values.help
      ? { kind: 'help', text: globalHelp(COMMANDS) }
      : { kind: 'usage', message: 'no command given', command: null };
  if (first.value === 'help') {
    const topic = tokens.find((t) => t.kind === 'positional' && t.index > first.index);
    const cmd = topic?.kind === 'positional' ? COMMANDS.find((c) => c.name === topic.value) : undefined;
    return { kind: 'help', text: cmd ? commandHelp(cmd) : globalHelp(COMMANDS) };
  }
  const command = COMMANDS.find((c) => c.name === first.value);
  if (!command) return { kind: 'usage', message: `unknown command "${first.value}"`, command: null };

  const rest = argv.filter((_, i) => i !== first.index);
  let parsed: { values: Values; positionals: string[] };
  try {
    parsed = parseArgs({
      args: rest,
      options: { ...GLOBAL_OPTIONS, ...command.options },
      strict: true,
      allowPositionals: true,
    }) as { values: Values; positionals: string[] };
  } catch (err) {
    if (rest.includes('--help') || rest.includes('-h')) return { kind: 'help', text: commandHelp(command) };
    return { kind: 'usage', message: (err as Error).message.split('. To specify')[0] ?? '', command };
  }
  if (parsed.values.help) return { kind: 'help', text: commandHelp(command) };
  const { positionals } = parsed;
  if (positionals.length < command.args.length) {
    const missing = command.args.slice(positionals.length).map((a) => `<${a}>`);
    return { kind: 'usage', message: `${command.name} needs ${missing.join(' ')}`, command };
  }
  if (positionals.length > command.args.length)
    return {
      kind: 'usage',
      message: `unexpected argument "${positionals[command.args.length]}"`,
      command,
    };
  return { kind: 'run', command, args: positionals, values: parsed.values };
}

function apiUrl(flag: string | undefined, env: Io['env']): string {
  const raw = flag || env.LAUNCH_CONTROL_API || DEFAULT_API;
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new CliError(`--api: "${raw}" is not a URL (expected e.g. ${DEFAULT_API})`, EXIT.invalid);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:')
    throw new CliError(`--api: "${raw}" is not an http(s) URL`, EXIT.invalid);
  return raw;
}

/** Runs the CLI; resolves to the exit code. */
export async function main(argv: string[], io: Io = processIo): Promise<number> {
  const parsed = parseCommandLine(argv);
  if (parsed.kind === 'help') {
    io.out(parsed.text);
    return EXIT.ok;
  }
  if (parsed.kind === 'usage') {
    io.err(`launch-control: ${parsed.message}\n${usageHint(parsed.command)}`);
    return EXIT.invalid;
  }
  const { command, args, values } = parsed;
  // On `signal`, --json carries the payload; --raw asks for JSON output everywhere.
  const json = values.raw === true || (command.name !== 'signal' && values.json === true);

  const interrupt = new AbortController();
  const onSigint = () => {
    // A second Ctrl-C does not wait for anything.
    if (interrupt.signal.aborted) process.exit(EXIT.interrupted);
    interrupt.abort();
  };
  process.on('SIGINT', onSigint);
  try {
    const ctx: Context = {
      api: new ApiClient({
        baseUrl: apiUrl(values.api as string | undefined, io.env),
        token: io.env.LAUNCH_CONTROL_TOKEN,
      }),
      json,
      hasToken: !!io.env.LAUNCH_CONTROL_TOKEN,
      out: io.out,
      err: io.err,
      interrupt: interrupt.signal,
    };
    return await command.run(ctx, args, values);
  } catch (err) {
    if (interrupt.signal.aborted) {
      io.err('interrupted');
      return EXIT.interrupted;
    }
    if (err instanceof CliError) {
      if (json && err.body !== undefined && typeof err.body === 'object')
        io.out(JSON.stringify(err.body, null, 2));
      io.err(`launch-control ${command.name}: ${err.message}`);
      return err.exitCode;
    }
    io.err(`launch-control ${command.name}: unexpected error: ${(err as Error)?.stack ?? String(err)}`);
    return EXIT.error;
  } finally {
    process.off('SIGINT', onSigint);
  }
}
