/**
 * The statistics an experiment's scorecard rests on, pure: confidence intervals (Wilson for
 * proportions, Student's t for means, a seeded percentile bootstrap for sums over accounts), the
 * verdict of one criterion against its interval, and how many more units a verdict needs.
 */

export interface Interval {
  low: number;
  high: number;
}

/** The standard normal quantile (Acklam's rational approximation, relative error below 1.2e-9). */
export function normalQuantile(p: number): number {
  if (!(p > 0 && p < 1)) throw new RangeError("p must lie in (0, 1)");
  const a = [-39.69683028665376, 220.9460984245205, -275.9285104469687, 138.357751867269, -30.66479806614716, 2.506628277459239];
  const b = [-54.47609879822406, 161.5858368580409, -155.6989798598866, 66.80131188771972, -13.28068155288572];
  const c = [-0.007784894002430293, -0.3223964580411365, -2.400758277161838, -2.549732539343734, 4.374664141464968, 2.938163982698783];
  const d = [0.007784695709041462, 0.3224671290700398, 2.445134137142996, 3.754408661907416];
  const lowTail = 0.02425;
  if (p < lowTail) {
    const q = Math.sqrt(-2 * Math.log(p));
    return (((((c[0]! * q + c[1]!) * q + c[2]!) * q + c[3]!) * q + c[4]!) * q + c[5]!) / ((((d[0]! * q + d[1]!) * q + d[2]!) * q + d[3]!) * q + 1);
  }
  if (p > 1 - lowTail) return -normalQuantile(1 - p);
  const q = p - 0.5;
  const r = q * q;
  return ((((((a[0]! * r + a[1]!) * r + a[2]!) * r + a[3]!) * r + a[4]!) * r + a[5]!) * q) / (((((b[0]! * r + b[1]!) * r + b[2]!) * r + b[3]!) * r + b[4]!) * r + 1);
}

/** ln Γ(x) (Lanczos, g = 7), for the incomplete beta function. */
function logGamma(x: number): number {
  const g = [0.9999999999998099, 676.5203681218851, -1259.1392167224028, 771.3234287776531, -176.6150291621406, 12.507343278686905, -0.13857109526572012, 9.984369578019572e-6, 1.5056327351493116e-7];
  if (x < 0.5) return Math.log(Math.PI / Math.sin(Math.PI * x)) - logGamma(1 - x);
  const z = x - 1;
  let s = g[0]!;
  for (let i = 1; i < 9; i++) s += g[i]! / (z + i);
  const t = z + 7.5;
  return 0.5 * Math.log(2 * Math.PI) + (z + 0.5) * Math.log(t) - t + Math.log(s);
}

/** The regularized incomplete beta function I_x(a, b), by its continued fraction (Lentz). */
function incompleteBeta(x: number, a: number, b: number): number {
  if (x <= 0) return 0;
  if (x >= 1) return 1;
  if (x > (a + 1) / (a + b + 2)) return 1 - incompleteBeta(1 - x, b, a);
  const front = Math.exp(a * Math.log(x) + b * Math.log(1 - x) - (logGamma(a) + logGamma(b) - logGamma(a + b))) / a;
  const tiny = 1e-300;
  let f = 1;
  let c = 1;
  let d = 0;
  for (let i = 0; i <= 400; i++) {
    const m = Math.floor(i / 2);
    let num: number;
    if (i === 0) num = 1;
    else if (i % 2 === 0) num = (m * (b - m) * x) / ((a + 2 * m - 1) * (a + 2 * m));
    else num = -((a + m) * (a + b + m) * x) / ((a + 2 * m) * (a + 2 * m + 1));
    d = 1 + num * d;
    if (Math.abs(d) < tiny) d = tiny;
    d = 1 / d;
    c = 1 + num / c;
    if (Math.abs(c) < tiny) c = tiny;
    const cd = c * d;
    f *= cd;
    if (Math.abs(1 - cd) < 1e-14) break;
  }
  return front * (f - 1);
}

/** P(T ≤ t) for Student's t with `df` degrees of freedom. */
export function studentCdf(t: number, df: number): number {
  const tail = 0.5 * incompleteBeta(df / (df + t * t), df / 2, 0.5);
  return t >= 0 ? 1 - tail : tail;
}

/** Student's t quantile, by bisection on its distribution function (exact to about 1e-10). */
export function studentQuantile(p: number, df: number): number {
  if (!(p > 0 && p < 1)) throw new RangeError("p must lie in (0, 1)");
  if (!(df > 0)) throw new RangeError("df must be positive");
  if (p < 0.5) return -studentQuantile(1 - p, df);
  let lo = 0;
  let hi = 1;
  while (studentCdf(hi, df) < p) hi *= 2;
  for (let i = 0; i < 200 && hi - lo > 1e-12 * Math.max(1, hi); i++) {
    const mid = (lo + hi) / 2;
    if (studentCdf(mid, df) < p) lo = mid;
    else hi = mid;
  }
  return (lo + hi) / 2;
}

/** The two-sided critical value of the normal distribution at a confidence (0.95 → 1.96). */
export function zFor(confidence: number): number {
  return normalQuantile(1 - (1 - confidence) / 2);
}

/**
 * Wilson score interval of a proportion: `successes` of `n`, at `confidence`. It stays within
 * [0, 1], always contains successes/n and behaves at 0 and at n (unlike the normal approximation).
 * Null without observations.
 */
export function wilsonInterval(successes: number, n: number, confidence: number): Interval | null {
  if (n <= 0) return null;
  if (successes < 0 || successes > n) throw new RangeError("successes must lie in [0, n]");
  const z = zFor(confidence);
  const p = successes / n;
  const z2 = z * z;
  const centre = (p + z2 / (2 * n)) / (1 + z2 / n);
  const half = (z / (1 + z2 / n)) * Math.sqrt((p * (1 - p)) / n + z2 / (4 * n * n));
  // At 0 and at n the bound is the point itself; rounding must not move it past the estimate.
  return { low: successes === 0 ? 0 : Math.max(0, Math.min(p, centre - half)), high: successes === n ? 1 : Math.min(1, Math.max(p, centre + half)) };
}

export function mean(values: readonly number[]): number {
  return values.reduce((s, v) => s + v, 0) / values.length;
}

/** The sample standard deviation (n − 1 in the denominator); 0 for fewer than two values. */
export function sampleSd(values: readonly number[]): number {
  if (values.length < 2) return 0;
  const m = mean(values);
  return Math.sqrt(values.reduce((s, v) => s + (v - m) ** 2, 0) / (values.length - 1));
}

/**
 * Student's t interval of a mean, clamped to the metric's range [min, max]. Null for fewer than
 * two values (no spread to estimate).
 */
export function tInterval(values: readonly number[], confidence: number, range: { min: number; max: number } = { min: -Infinity, max: Infinity }): Interval | null {
  const n = values.length;
  if (n < 2) return null;
  const m = mean(values);
  const half = studentQuantile(1 - (1 - confidence) / 2, n - 1) * (sampleSd(values) / Math.sqrt(n));
  return { low: Math.max(range.min, m - half), high: Math.min(range.max, m + half) };
}

/** mulberry32: a small seeded PRNG, so one sample always gives the same bootstrap interval. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export const BOOTSTRAP_RESAMPLES = 2_000;
export const BOOTSTRAP_SEED = 20_261_202;

/**
 * Percentile bootstrap interval of a sum over units (revenue over accounts): the units are drawn
 * with replacement `resamples` times with a seeded RNG, and the sums' quantiles taken. A
 * percentile interval of a skewed sample can miss its own estimate; it is widened to include it.
 * Null for fewer than two units.
 */
export function bootstrapSumInterval(values: readonly number[], confidence: number, opts: { seed?: number; resamples?: number; min?: number } = {}): Interval | null {
  const n = values.length;
  if (n < 2) return null;
  const rand = seededRandom(opts.seed ?? BOOTSTRAP_SEED);
  const resamples = opts.resamples ?? BOOTSTRAP_RESAMPLES;
  const sums = new Float64Array(resamples);
  for (let r = 0; r < resamples; r++) {
    let s = 0;
    for (let i = 0; i < n; i++) s += values[Math.floor(rand() * n)]!;
    sums[r] = s;
  }
  sums.sort();
  const alpha = (1 - confidence) / 2;
  const at = (q: number) => sums[Math.min(resamples - 1, Math.max(0, Math.round(q * (resamples - 1))))]!;
  const point = values.reduce((s, v) => s + v, 0);
  return { low: Math.max(opts.min ?? -Infinity, Math.min(point, at(alpha))), high: Math.max(point, at(1 - alpha)) };
}

// ---- verdicts -------------------------------------------------------------------------------

export type Comparison = "gt" | "lt";
export type Verdict = "met" | "not_met" | "undecided";

/** Below this many observations no criterion is decided, whatever its interval says. */
export const MIN_OBSERVATIONS = 10;

/**
 * A criterion's verdict from its interval: met when the whole interval lies on the criterion's
 * side of the threshold, not met when it lies wholly on the other side, otherwise (or with no
 * interval, or fewer than MIN_OBSERVATIONS observations) undecided. An interval touching the
 * threshold straddles it.
 */
export function verdictOf(interval: Interval | null, n: number, comparison: Comparison, threshold: number): Verdict {
  if (interval === null || n < MIN_OBSERVATIONS) return "undecided";
  if (comparison === "gt") {
    if (interval.low > threshold) return "met";
    if (interval.high < threshold) return "not_met";
  } else {
    if (interval.high < threshold) return "met";
    if (interval.low > threshold) return "not_met";
  }
  return "undecided";
}

/** The largest sample a projection looks at: beyond it, "not within reach". */
export const MAX_PROJECTED = 1_000_000;

/**
 * How many more units a verdict needs if what was observed so far holds: the smallest m ≥ n whose
 * interval, as `intervalAt(m)` projects it, no longer straddles the threshold (and m reaches
 * MIN_OBSERVATIONS), minus n. 0 when decided already; null when no sample up to MAX_PROJECTED would
 * decide (the estimate sits on the threshold).
 */
export function unitsNeeded(n: number, intervalAt: (m: number) => Interval | null, comparison: Comparison, threshold: number): number | null {
  const decided = (m: number) => verdictOf(intervalAt(m), m, comparison, threshold) !== "undecided";
  const start = Math.max(n, MIN_OBSERVATIONS, 1);
  if (decided(start)) return start - n;
  let hi = start * 2;
  while (hi <= MAX_PROJECTED && !decided(hi)) hi *= 2;
  if (hi > MAX_PROJECTED) {
    if (!decided(MAX_PROJECTED)) return null;
    hi = MAX_PROJECTED;
  }
  let lo = Math.max(start, Math.floor(hi / 2));
  while (lo < hi) {
    const mid = Math.floor((lo + hi) / 2);
    if (decided(mid)) hi = mid;
    else lo = mid + 1;
  }
  return hi - n;
}
