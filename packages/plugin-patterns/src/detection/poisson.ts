/** ln(k!) by summation for small k, Stirling's series beyond (exact to ~1e-10 for k > 30). */
function logFactorial(k: number): number {
  if (k < 30) {
    let s = 0;
    for (let i = 2; i <= k; i++) s += Math.log(i);
    return s;
  }
  return k * Math.log(k) - k + 0.5 * Math.log(2 * Math.PI * k) + 1 / (12 * k) - 1 / (360 * k ** 3);
}

/**
 * P(X ≥ k) for X ~ Poisson(mu), summed from the tail upward so that tiny probabilities (1e-12) keep their
 * precision instead of being lost in 1 − (a sum close to 1).
 */
export function poissonTail(k: number, mu: number): number {
  if (k <= 0) return 1;
  if (mu <= 0) return 0;
  let term = Math.exp(-mu + k * Math.log(mu) - logFactorial(k));
  let sum = 0;
  for (let i = k; i < k + 10_000; i++) {
    sum += term;
    term *= mu / (i + 1);
    if (term < sum * 1e-15 && i > mu) break;
  }
  return Math.min(1, sum);
}

/**
 * P(X ≥ k) for X ~ Binomial(n, p), summed upward from k with the term ratio, so small tails keep their
 * precision.
 */
export function binomialTail(k: number, n: number, p: number): number {
  if (k <= 0) return 1;
  if (k > n || p <= 0) return 0;
  if (p >= 1) return 1;
  const logTerm =
    logFactorial(n) - logFactorial(k) - logFactorial(n - k) + k * Math.log(p) + (n - k) * Math.log1p(-p);
  let term = Math.exp(logTerm);
  let sum = 0;
  for (let i = k; i <= n; i++) {
    sum += term;
    term *= ((n - i) / (i + 1)) * (p / (1 - p));
    if (term < sum * 1e-15) break;
  }
  return Math.min(1, sum);
}
