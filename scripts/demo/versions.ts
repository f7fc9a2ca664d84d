/**
 * What the demo stack runs: one service in two environments with two slots each, and the three
 * builds of the demo service with their behaviour profiles.
 */

export const DEMO_SERVICE = 'checkout';
export const DEMO_ENVIRONMENTS = ['production', 'staging'] as const;
export const DEMO_SLOTS = ['stable', 'canary'] as const;

export type DemoEnvironment = (typeof DEMO_ENVIRONMENTS)[number];
export type DemoSlot = (typeof DEMO_SLOTS)[number];

export type VersionProfile = {
  /** Share of `/api/*` requests answered 500, 0..1. */
  errorRate: number;
  /** Added to every `/api/*` request before answering. */
  latencyMs: number;
  description: string;
};

/** Baseline work per request, so the latency histogram has something in it for healthy builds. */
export const BASE_LATENCY_MS = 8;

export const VERSION_PROFILES = {
  '1.0.0': { errorRate: 0, latencyMs: BASE_LATENCY_MS, description: 'v1, the stable build' },
  '2.0.0': { errorRate: 0, latencyMs: BASE_LATENCY_MS, description: 'v2, a good build' },
  '2.1.0-slow': {
    errorRate: 0,
    latencyMs: BASE_LATENCY_MS * 1.1,
    description: 'v2.1, 10 % slower: within any fixed latency bound, caught only against stable',
  },
  '3.0.0-bad': {
    errorRate: 0.3,
    latencyMs: BASE_LATENCY_MS + 250,
    description: 'v3, the known-bad build (errors and slow)',
  },
} as const satisfies Record<string, VersionProfile>;

export type DemoVersion = keyof typeof VERSION_PROFILES;
export const INITIAL_VERSION: DemoVersion = '1.0.0';
export const KNOWN_BAD_VERSION: DemoVersion = '3.0.0-bad';

export function isDemoVersion(value: unknown): value is DemoVersion {
  return typeof value === 'string' && Object.hasOwn(VERSION_PROFILES, value);
}

export function isDemoEnvironment(value: unknown): value is DemoEnvironment {
  return (DEMO_ENVIRONMENTS as readonly unknown[]).includes(value);
}

export function isDemoSlot(value: unknown): value is DemoSlot {
  return (DEMO_SLOTS as readonly unknown[]).includes(value);
}

/** Per-version overrides of the profile (e.g. a milder known-bad build for a demo). */
export type VersionOverrides = Partial<Record<DemoVersion, Partial<Omit<VersionProfile, 'description'>>>>;

export function profileOf(version: DemoVersion, overrides: VersionOverrides = {}): VersionProfile {
  return { ...VERSION_PROFILES[version], ...overrides[version] };
}
