/**
 * Brent's root finder (bisection safeguarding linear and inverse quadratic interpolation), as
 * described by Forsythe, Malcolm & Moler, "Computer Methods for Mathematical Computations" (1977),
 * procedure ZEROIN. R's `uniroot` runs this same procedure; following its steps and stopping rule
 * exactly matters here, because the function the Mann–Whitney interval solves is a step function:
 * the root found is simply where the procedure stops, within `tol` of the jump, and only the same
 * sequence of trial points lands on the same number R reports.
 */

export type RootResult = { root: number; iterations: number; converged: boolean };

/**
 * A root of `f` in [lower, upper], given f(lower) and f(upper) of opposite signs (or one zero).
 * Stops when the bracket is within `tol` (plus 4 ulps of the root), after at most `maxIterations`.
 */
export function brentRoot(
  f: (x: number) => number,
  lower: number,
  upper: number,
  fLower: number,
  fUpper: number,
  tol: number,
  maxIterations = 1000,
): RootResult {
  if (fLower === 0) return { root: lower, iterations: 0, converged: true };
  if (fUpper === 0) return { root: upper, iterations: 0, converged: true };
  // b: best estimate so far; a: the previous one; c: the point that brackets the root with b.
  let a = lower;
  let fa = fLower;
  let b = upper;
  let fb = fUpper;
  let c = a;
  let fc = fa;
  for (let iteration = 0; iteration <= maxIterations; iteration++) {
    const previousStep = b - a;
    if (Math.abs(fc) < Math.abs(fb)) {
      // Make b the best approximation (a takes b's old place).
      a = b;
      b = c;
      c = a;
      fa = fb;
      fb = fc;
      fc = fa;
    }
    const tolerance = 2 * Number.EPSILON * Math.abs(b) + tol / 2;
    let step = (c - b) / 2; // bisection
    if (Math.abs(step) <= tolerance || fb === 0) return { root: b, iterations: iteration, converged: true };

    // Interpolate when the previous step was large enough and went the right way.
    if (Math.abs(previousStep) >= tolerance && Math.abs(fa) > Math.abs(fb)) {
      const cb = c - b;
      let p: number;
      let q: number;
      if (a === c) {
        // Two distinct points: secant.
        const t1 = fb / fa;
        p = cb * t1;
        q = 1 - t1;
      } else {
        // Three: inverse quadratic interpolation.
        const qa = fa / fc;
        const t1 = fb / fc;
        const t2 = fb / fa;
        p = t2 * (cb * qa * (qa - t1) - (b - a) * (t1 - 1));
        q = (qa - 1) * (t1 - 1) * (t2 - 1);
      }
      if (p > 0) q = -q;
      else p = -p;
      // Accept b + p/q only inside the bracket, not too near c, and shrinking fast enough.
      if (p < 0.75 * cb * q - Math.abs(tolerance * q) / 2 && p < Math.abs((previousStep * q) / 2))
        step = p / q;
    }
    if (Math.abs(step) < tolerance) step = step > 0 ? tolerance : -tolerance;
    a = b;
    fa = fb;
    b += step;
    fb = f(b);
    if ((fb > 0 && fc > 0) || (fb < 0 && fc < 0)) {
      c = a;
      fc = fa;
    }
  }
  return { root: b, iterations: maxIterations, converged: false };
}
