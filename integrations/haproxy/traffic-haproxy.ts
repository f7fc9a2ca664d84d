/**
 * TrafficRouter over HAProxy's runtime API: the canary share is the weight split between two
 * servers of one backend (canary weight = percent, stable weight = 100 − percent).
 *
 *   set weight <backend>/<server> <n>   → empty answer on success, an error text otherwise
 *   get weight <backend>/<server>       → "10 (initial 0)"
 */
import { HAPROXY_NAME_PATTERN, type HaproxyTrafficConfig } from '../config.js';
import type { AdapterContext } from '../http/client.js';
import { assertCanaryPercent } from '../http/traffic-webhook.js';
import type { TrafficRouter, TrafficTarget } from '../types.js';
import {
  describeEndpoint,
  refusedBy,
  runtimeApiAction,
  runtimeApiCommand,
  type RuntimeApiEndpoint,
} from './runtime-api.js';

export const DEFAULT_BACKEND_TEMPLATE = '{service}-{environment}';

export type ServerWeight = { server: string; weight: number; initial: number };
/** Raw weights of both servers, as HAProxy reports them (evidence for a launch record). */
export type HaproxyWeights = {
  endpoint: string;
  backend: string;
  canary: ServerWeight;
  stable: ServerWeight;
};

export type HaproxyTrafficRouter = TrafficRouter & {
  readWeights(target: TrafficTarget): Promise<HaproxyWeights>;
};

type Settings = {
  endpoint: RuntimeApiEndpoint;
  backend: string;
  stableServer: string;
  canaryServer: string;
  timeoutMs: number | undefined;
};

function assertHaproxyName(what: string, value: string): void {
  if (!HAPROXY_NAME_PATTERN.test(value)) {
    throw new Error(`invalid HAProxy ${what} ${JSON.stringify(value)}`);
  }
}

/** Applies defaults and re-checks what the schema checks, so hand-built configs are safe too. */
function settingsOf(config: HaproxyTrafficConfig, name = 'haproxy'): Settings {
  const { socket, address } = config;
  if ((socket === undefined) === (address === undefined)) {
    throw new Error(`integration "${name}": exactly one of socket and address is required`);
  }
  const settings: Settings = {
    endpoint: socket !== undefined ? { socket } : { address: address ?? '' },
    backend: config.backend ?? DEFAULT_BACKEND_TEMPLATE,
    stableServer: config.stableServer ?? 'stable',
    canaryServer: config.canaryServer ?? 'canary',
    timeoutMs: config.timeoutMs,
  };
  assertHaproxyName('server name', settings.stableServer);
  assertHaproxyName('server name', settings.canaryServer);
  if (settings.stableServer === settings.canaryServer) {
    throw new Error(`integration "${name}": stableServer and canaryServer must differ`);
  }
  return settings;
}

/**
 * Fills `{service}` and `{environment}` into the backend template. Values with whitespace or
 * control characters are refused outright, and the result must be a plain HAProxy name (no ";",
 * "/", spaces): nothing a caller passes can become a second runtime API command.
 */
export function backendName(template: string, target: TrafficTarget): string {
  for (const [field, value] of Object.entries({
    service: target.service,
    environment: target.environment,
  })) {
    if (typeof value !== 'string' || value === '' || /[\s\u0000-\u001f\u007f]/.test(value)) {
      throw new Error(
        `refusing ${field} ${JSON.stringify(value)}: empty or contains whitespace/control characters`,
      );
    }
  }
  const backend = template
    .replaceAll('{service}', target.service)
    .replaceAll('{environment}', target.environment);
  assertHaproxyName('backend name', backend);
  return backend;
}

/** Parses a `get weight` answer: `"10 (initial 0)"` → `{ weight: 10, initial: 0 }`. */
export function parseWeightAnswer(answer: string): { weight: number; initial: number } | null {
  const match = /^(\d{1,3}) \(initial (\d{1,3})\)$/.exec(answer.trim());
  if (!match) return null;
  return { weight: Number(match[1]), initial: Number(match[2]) };
}

async function getWeight(settings: Settings, backend: string, server: string): Promise<ServerWeight> {
  const command = `get weight ${backend}/${server}`;
  const answer = await runtimeApiCommand(settings.endpoint, command, { timeoutMs: settings.timeoutMs });
  const parsed = parseWeightAnswer(answer);
  if (parsed === null) throw refusedBy(settings.endpoint, command, answer);
  return { server, ...parsed };
}

async function readWeightsWith(settings: Settings, target: TrafficTarget): Promise<HaproxyWeights> {
  const backend = backendName(settings.backend, target);
  const canary = await getWeight(settings, backend, settings.canaryServer);
  const stable = await getWeight(settings, backend, settings.stableServer);
  return { endpoint: describeEndpoint(settings.endpoint), backend, canary, stable };
}

/** Canary share in percent; a split where both weights are 0 sends traffic nowhere and is an error. */
export function percentOf(weights: HaproxyWeights): number {
  const total = weights.canary.weight + weights.stable.weight;
  if (total === 0) {
    throw new Error(
      `haproxy backend ${weights.backend}: both ${weights.canary.server} and ${weights.stable.server} have weight 0; no server receives traffic`,
    );
  }
  return Math.round((weights.canary.weight * 100) / total);
}

/** Both raw weights of the target's backend (one `get weight` per server). */
export function readHaproxyWeights(
  config: HaproxyTrafficConfig,
  target: TrafficTarget,
): Promise<HaproxyWeights> {
  return readWeightsWith(settingsOf(config), target);
}

export function createHaproxyTrafficRouter(
  config: HaproxyTrafficConfig,
  context: AdapterContext,
): HaproxyTrafficRouter {
  const settings = settingsOf(config, context.name);
  return {
    async setCanaryPercent(target, percent) {
      assertCanaryPercent(percent);
      const backend = backendName(settings.backend, target);
      // Reading first checks backend and servers exist before anything changes, and gives the order.
      const current = await readWeightsWith(settings, target);
      const steps = [
        { server: settings.canaryServer, from: current.canary.weight, to: percent },
        { server: settings.stableServer, from: current.stable.weight, to: 100 - percent },
      ];
      // Raises first, then the larger target first: after the first command one server always has
      // weight > 0 (a raise is > 0; without raises the larger target is ≥ 50), so the backend never
      // passes through a state where both weights are 0.
      steps.sort((a, b) => Number(b.to > b.from) - Number(a.to > a.from) || b.to - a.to);
      for (const step of steps) {
        const command = `set weight ${backend}/${step.server} ${step.to}`;
        await runtimeApiAction(settings.endpoint, command, { timeoutMs: settings.timeoutMs });
      }
    },
    async readCanaryPercent(target) {
      return percentOf(await readWeightsWith(settings, target));
    },
    readWeights(target) {
      return readWeightsWith(settings, target);
    },
  };
}
