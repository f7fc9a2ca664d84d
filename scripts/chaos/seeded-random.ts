/** A small seeded PRNG (mulberry32), so a chaos run's kill and outage schedule can be repeated. */
export type SeededRandom = {
  /** Uniform in [0, 1). */
  next(): number;
  /** An integer in [lo, hi). */
  between(range: [number, number]): number;
};

export function random(seed: number): SeededRandom {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return { next, between: ([lo, hi]: [number, number]) => lo + Math.floor(next() * (hi - lo)) };
}
