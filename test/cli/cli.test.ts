/**
 * The `launch-control` CLI as a user runs it: `node cli/bin.mjs …` child processes against the
 * REST API on a real socket, over a real Temporal dev server and worker. One launch is followed
 * from start to an operator abort; the tests run in order and share it.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import YAML from 'yaml';
import { startApi, type RunningApi } from '../../api/server.js';
import { EXIT } from '../../cli/main.js';
import type { LaunchStatus } from '../../domain/launch-state.js';
import { fastPlan } from '../support/plans.js';
import { eventually, startHarness, type Harness } from '../support/temporal.js';
import { show, spawnCli as spawnRun } from './run-cli.js';

const ID = 'cli-main';
const SERVICE = 'cli-main';

let h: Harness;
let api: RunningApi;
let dir: string;
const file = (name: string) => join(dir, name);
const spawnCli = (args: string[], env?: Record<string, string>) => spawnRun(api.url, args, env);
const cli = (args: string[], env?: Record<string, string>) => spawnCli(args, env).done;

async function statusOf(id: string): Promise<LaunchStatus> {
  const res = await fetch(`${api.url}/launches/${id}`);
  if (res.status !== 200) throw new Error(`status ${res.status}`);
  return (await res.json()) as LaunchStatus;
}

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'lc-cli-'));
  h = await startHarness();
  api = await startApi({ client: h.env.client, taskQueue: h.taskQueue, port: 0, logger: false });
  writeFileSync(file('plan.yaml'), YAML.stringify(fastPlan({ service: SERVICE, launchId: ID })));
});
after(async () => {
  await api?.close();
  await h?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

test('help, usage errors (exit 2) and an unreachable API (exit 1, naming the URL)', async () => {
  // A port that was free a moment ago: nothing listens there.
  const probe = createServer();
  await new Promise<void>((r) => probe.listen(0, '127.0.0.1', r));
  const deadUrl = `http://127.0.0.1:${(probe.address() as AddressInfo).port}`;
  await new Promise((r) => probe.close(r));

  const [help, watchHelp, unknown, badFlag, missing, down] = await Promise.all([
    cli(['--help']),
    cli(['watch', '--help']),
    cli(['launch-now']),
    cli(['list', '--colour']),
    cli(['status']),
    cli(['list', '--api', deadUrl]),
  ]);
  assert.equal(help.code, EXIT.ok, show(help));
  for (const word of ['start', 'watch', 'signal', 'Exit codes', '130', 'LAUNCH_CONTROL_TOKEN'])
    assert.ok(help.stdout.includes(word), `${word} in --help`);
  assert.equal(watchHelp.code, EXIT.ok, show(watchHelp));
  assert.match(watchHelp.stdout, /Usage: launch-control watch <id>/);
  assert.match(watchHelp.stdout, /3 +watch: the launch ended ABORTED/);
  assert.equal(unknown.code, EXIT.invalid, show(unknown));
  assert.match(unknown.stderr, /unknown command "launch-now"[\s\S]*usage:/);
  assert.equal(badFlag.code, EXIT.invalid, show(badFlag));
  assert.match(badFlag.stderr, /--colour[\s\S]*usage: launch-control list/);
  assert.equal(missing.code, EXIT.invalid, show(missing));
  assert.match(missing.stderr, /status needs <id>/);
  assert.equal(down.code, EXIT.error, show(down));
  assert.ok(down.stderr.includes(`cannot reach the Launch Control API at ${deadUrl}`), down.stderr);
});

test('401 / 403 print what to do and exit 4; the token is sent as a bearer token', async () => {
  // A stand-in answering as the API's auth does (api/auth-hooks.ts), so this test does not depend
  // on how tokens are configured.
  const seen: IncomingHttpHeaders[] = [];
  const fake = createServer((req, res) => {
    seen.push(req.headers);
    const reply = (status: number, body: unknown) =>
      res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
    if (!req.headers.authorization)
      return reply(401, { error: 'unauthorized', message: 'GET /launches needs a bearer token' });
    if (req.headers.authorization === 'Bearer viewer-token')
      return reply(403, {
        error: 'forbidden',
        message: 'POST /launches needs the operator role; "vera" has viewer',
        requiredRole: 'operator',
      });
    return reply(200, { items: [] });
  });
  await new Promise<void>((r) => fake.listen(0, '127.0.0.1', r));
  const url = `http://127.0.0.1:${(fake.address() as AddressInfo).port}`;
  try {
    const none = await cli(['list', '--api', url]);
    assert.equal(none.code, EXIT.forbidden, show(none));
    assert.match(none.stderr, /not authenticated .*401.*needs a bearer token/);
    assert.match(none.stderr, /set LAUNCH_CONTROL_TOKEN/);
    const viewer = await cli(['start', file('plan.yaml'), '--api', url], {
      LAUNCH_CONTROL_TOKEN: 'viewer-token',
    });
    assert.equal(viewer.code, EXIT.forbidden, show(viewer));
    assert.match(viewer.stderr, /not allowed \(403\).*needs the operator role/);
    assert.match(viewer.stderr, /the token in LAUNCH_CONTROL_TOKEN lacks the "operator" role/);
    const good = await cli(['list', '--api', url], { LAUNCH_CONTROL_TOKEN: 'good-token' });
    assert.equal(good.code, EXIT.ok, show(good));
    assert.equal(seen.at(-1)?.authorization, 'Bearer good-token');
  } finally {
    await new Promise((r) => fake.close(r));
  }
});

test('start: created (0), the same plan again → the existing launch (0), a changed plan → a note', async () => {
  const created = await cli(['start', file('plan.yaml')]);
  assert.equal(created.code, EXIT.ok, show(created));
  assert.match(created.stdout, new RegExp(`^created launch ${ID}$`, 'm'));
  assert.ok(created.stdout.includes(`${api.url}/launches/${ID}/checklist`), created.stdout);

  const again = await cli(['start', file('plan.yaml')]);
  assert.equal(again.code, EXIT.ok, show(again));
  assert.match(again.stdout, new RegExp(`launch ${ID} already exists \\(RUNNING`));
  assert.doesNotMatch(again.stdout, /NOT applied/);

  writeFileSync(
    file('plan.json'),
    JSON.stringify(fastPlan({ service: SERVICE, launchId: ID, version: '2.0.1' })),
  );
  const changed = await cli(['start', file('plan.json'), '--json']);
  assert.equal(changed.code, EXIT.ok, show(changed));
  const body = JSON.parse(changed.stdout);
  assert.equal(body.created, false);
  assert.equal(body.samePlan, false);
  const note = await cli(['start', file('plan.json')]);
  assert.match(note.stdout, /differs from the one this launch runs, and was NOT applied/);
});

test('a bad plan exits 2 and lists every bad field, one per line; so does a file that is not YAML', async () => {
  const { service: _dropped, ...plan } = fastPlan({ launchId: 'cli-bad' });
  writeFileSync(
    file('bad.yaml'),
    YAML.stringify({ ...plan, approvals: { ...plan.approvals, goNoGo: [] }, ramp: 'fast' }),
  );
  const bad = await cli(['start', file('bad.yaml')]);
  assert.equal(bad.code, EXIT.invalid, show(bad));
  for (const field of ['service', 'approvals.goNoGo', 'ramp'])
    assert.match(bad.stderr, new RegExp(`^  ${field.replace('.', '\\.')}: .+$`, 'm'), bad.stderr);

  writeFileSync(file('broken.yaml'), 'service: [unclosed\n');
  const broken = await cli(['start', file('broken.yaml')]);
  assert.equal(broken.code, EXIT.invalid, show(broken));
  assert.match(broken.stderr, /is not valid YAML/);
  const absent = await cli(['start', file('absent.yaml')]);
  assert.equal(absent.code, EXIT.invalid, show(absent));
});

test('list shows the launch; status shows the pending goNoGo, the JSON it expects and who may send it', async () => {
  const listed = await eventually(
    () => cli(['list', '--service', SERVICE]),
    (r) => r.code === 0 && r.stdout.includes(ID),
    'the launch in `list`',
    15_000,
  );
  assert.match(listed.stdout, /^LAUNCH +SERVICE +VERSION +PHASE +TRAFFIC/m);
  assert.match(listed.stdout, new RegExp(`^${ID} +${SERVICE} +2\\.0\\.0 +\\S+ +0% +RUNNING`, 'm'));
  const badPhase = await cli(['list', '--phase', 'DONE']);
  assert.equal(badPhase.code, EXIT.invalid, show(badPhase));
  assert.match(badPhase.stderr, /^ {2}phase: /m);

  await eventually(
    () => statusOf(ID),
    (s) => s.pendingApprovals.some((p) => p.signal === 'goNoGo'),
    'goNoGo to be awaited',
  );
  const status = await cli(['status', ID]);
  assert.equal(status.code, EXIT.ok, show(status));
  assert.match(status.stdout, /phase: +READINESS \(task 5\.1\)/);
  assert.match(status.stdout, /traffic: +0%/);
  assert.match(status.stdout, /goNoGo for task 5\.1/);
  assert.match(status.stdout, /who may send it: alice, bob/);
  assert.ok(
    status.stdout.includes('expects:         {"by":"<approver>","decision":"go","comment":"optional"}'),
  );
  assert.match(status.stdout, /next: +goNoGo approval timeout at/);
  const json = await cli(['status', ID, '--json']);
  assert.equal(JSON.parse(json.stdout).pendingApprovals[0].signal, 'goNoGo');
});

test('refused signals print the reason: 4 not allowed, 5 not awaited, 2 malformed (every field)', async () => {
  const [stranger, early, malformed, notJson, noPayload] = await Promise.all([
    cli(['signal', ID, 'goNoGo', '--json', '{"by":"mallory","decision":"go"}']),
    cli(['signal', ID, 'metricsReview', '--json', '{"by":"alice","stage":10,"verdict":"proceed"}']),
    cli(['signal', ID, 'goNoGo', '--json', '{"decision":"maybe"}']),
    cli(['signal', ID, 'goNoGo', '--json', '{by: alice}']),
    cli(['signal', ID, 'goNoGo']),
  ]);
  assert.equal(stranger.code, EXIT.forbidden, show(stranger));
  assert.match(
    stranger.stderr,
    /refused \(403 forbidden\): mallory may not send goNoGo; allowed: alice, bob/,
  );
  assert.equal(early.code, EXIT.conflict, show(early));
  assert.match(early.stderr, /refused \(409 conflict\): no metricsReview is awaited now/);
  assert.equal(malformed.code, EXIT.invalid, show(malformed));
  assert.match(malformed.stderr, /^ {2}by: /m);
  assert.match(malformed.stderr, /^ {2}decision: /m);
  assert.equal(notJson.code, EXIT.invalid, show(notJson));
  assert.match(notJson.stderr, /not valid JSON/);
  assert.equal(noPayload.code, EXIT.invalid, show(noPayload));
});

test('watch prints a line per change; signal goNoGo is accepted (0); Ctrl-C stops watching (130)', async () => {
  const watcher = spawnCli(['watch', ID]);
  await watcher.waitFor(
    (out) => /READINESS 5\.1 \| traffic 0% .*awaiting goNoGo from alice, bob/.test(out),
    'the first line',
  );

  writeFileSync(file('go.json'), JSON.stringify({ by: 'alice', decision: 'go', comment: 'from the CLI' }));
  const go = await cli(['signal', ID, 'goNoGo', '--json', `@${file('go.json')}`]);
  assert.equal(go.code, EXIT.ok, show(go));
  assert.match(go.stdout, new RegExp(`goNoGo accepted by launch ${ID} \\(audit #\\d+\\)`));

  await watcher.waitFor(
    (out) => /^\d\d:\d\d:\d\d (LOCKDOWN|ROLLBACK_DRILL|TRAFFIC)/m.test(out),
    'the next phase',
  );
  const lines = watcher.run.stdout
    .trim()
    .split('\n')
    .map((l) => l.slice('HH:MM:SS '.length));
  lines.slice(1).forEach((line, i) => assert.notEqual(line, lines[i], 'a line is printed on change only'));
  watcher.child.kill('SIGINT');
  const stopped = await watcher.done;
  assert.equal(stopped.code, EXIT.interrupted, show(stopped));
  assert.match(stopped.stderr, /stopped watching cli-main; the launch carries on/);
});

test('checklist prints the Markdown task list; audit shows accepted and refused actions', async () => {
  const [checklist, audit] = await Promise.all([cli(['checklist', ID]), cli(['audit', ID])]);
  assert.equal(checklist.code, EXIT.ok, show(checklist));
  assert.ok(checklist.stdout.startsWith('# Task List v2'), checklist.stdout.slice(0, 80));
  assert.match(checklist.stdout, /^- \[x\] /m);
  assert.match(checklist.stdout, /^- \[ \] /m);
  assert.equal(audit.code, EXIT.ok, show(audit));
  assert.match(audit.stdout, /^\d+ +\S+ \S+ +alice \(claimed\) +goNoGo +accepted/m);
  assert.match(audit.stdout, /mallory \(claimed\) +goNoGo +refused .*may not send goNoGo/);
  const missing = await cli(['audit', 'no-such-launch']);
  assert.equal(missing.code, EXIT.error, show(missing));
  assert.match(missing.stderr, /no launch with id "no-such-launch"/);
});

// The launch runs on after go/no-go, so the abort finds it before or after its first production
// change: ABORTED or ROLLED_BACK, both with the operator's cause.
test('abort ends the launch (ABORTED or ROLLED_BACK); watch exits 3 with the cause; later signals are refused (5)', async () => {
  const watcher = spawnCli(['watch', ID]);
  await watcher.waitFor((out) => out.length > 0, 'the first line');
  const noReason = await cli(['abort', ID]);
  assert.equal(noReason.code, EXIT.invalid, show(noReason));

  const abort = await cli(['abort', ID, '--reason', 'cli test done', '--by', 'sre-sam']);
  assert.equal(abort.code, EXIT.ok, show(abort));
  assert.match(abort.stdout, /abort accepted by launch cli-main/);

  const ended = await watcher.done;
  assert.equal(ended.code, EXIT.notLive, show(ended));
  assert.match(ended.stdout, /ended (ABORTED|ROLLED_BACK) .*operator-abort by sre-sam.*: cli test done/);
  const endPhase = (await statusOf(ID)).phase;
  assert.ok(['ABORTED', 'ROLLED_BACK'].includes(endPhase), endPhase);

  const [late, watchAgain] = await Promise.all([
    cli(['signal', ID, 'goNoGo', '--json', '{"by":"alice","decision":"go"}']),
    cli(['watch', ID, '--json']),
  ]);
  assert.equal(late.code, EXIT.conflict, show(late));
  assert.match(late.stderr, /has ended/);
  assert.equal(watchAgain.code, EXIT.notLive, show(watchAgain));
  assert.equal(JSON.parse(watchAgain.stdout.trim()).phase, endPhase);
});
