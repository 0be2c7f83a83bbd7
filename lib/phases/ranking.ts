/**
 * Rank agreement between checkpoints: Kendall's τ-b of node scores, Jaccard overlap of top-k sets,
 * and the concentration of influence (Gini, top-share).
 */

/**
 * Kendall's τ-b (Kendall 1945, ties corrected): (C − D) / √((P − Tx)(P − Ty)), where C and D count
 * concordant and discordant pairs, P = n(n−1)/2, Tx and Ty the pairs tied in x and in y.
 * 1 = same order, −1 = reversed. NaN when either vector is constant (or n < 2). O(n²).
 */
export function kendallTau(x: ArrayLike<number>, y: ArrayLike<number>): number {
  const n = x.length;
  if (y.length !== n) throw new Error(`kendallTau: vectors differ in length (${n} vs ${y.length})`);
  let concordant = 0;
  let discordant = 0;
  let tiedX = 0;
  let tiedY = 0;
  for (let i = 0; i < n; i++) {
    for (let j = i + 1; j < n; j++) {
      const dx = Math.sign(x[i] - x[j]);
      const dy = Math.sign(y[i] - y[j]);
      if (dx === 0) tiedX++;
      if (dy === 0) tiedY++;
      if (dx !== 0 && dy !== 0) {
        if (dx === dy) concordant++;
        else discordant++;
      }
    }
  }
  const pairs = (n * (n - 1)) / 2;
  const denominator = Math.sqrt((pairs - tiedX) * (pairs - tiedY));
  return denominator > 0 ? (concordant - discordant) / denominator : NaN;
}

/** Kendall τ-b between two score maps, over the ids present in both. */
export function kendallTauOfScores(a: Record<string, number>, b: Record<string, number>): number {
  const ids = Object.keys(a).filter((id) => id in b).sort();
  return kendallTau(ids.map((id) => a[id]), ids.map((id) => b[id]));
}

/** Jaccard index |A ∩ B| / |A ∪ B|; two empty sets are identical (1). */
export function jaccard<T>(a: Iterable<T>, b: Iterable<T>): number {
  const setA = new Set(a);
  const setB = new Set(b);
  let common = 0;
  for (const v of setA) if (setB.has(v)) common++;
  const union = setA.size + setB.size - common;
  return union === 0 ? 1 : common / union;
}

/** Ids ordered by score, highest first; equal scores by id, so the order is deterministic. */
export function rankIds(scores: Record<string, number>): string[] {
  return Object.keys(scores).sort((p, q) => scores[q] - scores[p] || (p < q ? -1 : p > q ? 1 : 0));
}

/** The k ids with the highest scores (ties at the cut broken by id). */
export function topK(scores: Record<string, number>, k: number): string[] {
  if (!Number.isInteger(k) || k < 0) throw new Error(`topK: k must be an integer >= 0, got ${k}`);
  return rankIds(scores).slice(0, k);
}
