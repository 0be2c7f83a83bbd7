/**
 * Roles found from the whole series rather than from snapshots: each component's trajectory of
 * role statistics over training is one point (its statistics at every checkpoint, each statistic
 * standardised over all components and checkpoints so that none dominates), and the points are
 * grouped by k-means (Lloyd 1982, k-means++ seeding of Arthur & Vassilvitskii 2007, best of several
 * seeded restarts) with k chosen by the mean silhouette (Rousseeuw 1987) — the way developmental
 * interpretability groups heads by their learning curves. When no k reaches a mean silhouette of
 * 0.25 (Kaufman & Rousseeuw 1990: below it "no substantial structure has been found") the
 * components form one group (k = 1).
 */

/** Below this best mean silhouette the trajectories show no group structure (k = 1). */
export const MIN_SILHOUETTE = 0.25;
import { Rng } from '../util/rng.js';

export interface TrajectoryGroup {
  members: string[];
  /** Mean of each statistic over the group's members, at each checkpoint, in the statistic's own units. */
  centroid: Record<string, number[]>;
}

export interface TrajectoryClustering {
  /** Groups found (1 when no k ≥ 2 reaches MIN_SILHOUETTE). */
  k: number;
  /** Mean silhouette of the best k ≥ 2 (the chosen one unless k = 1), and of every k tried. */
  silhouette: number;
  tried: { k: number; silhouette: number }[];
  groups: TrajectoryGroup[];
  statistics: string[];
}

/** Squared Euclidean distance. */
function distance2(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += (a[i] - b[i]) ** 2;
  return s;
}

/** k-means++ seeding then Lloyd iterations; returns the assignment and its within-cluster sum of squares. */
export function kMeans(points: readonly Float64Array[], k: number, rng: Rng, iterations = 100): { assignment: number[]; inertia: number } {
  const n = points.length;
  const dim = points[0].length;
  const centres: Float64Array[] = [Float64Array.from(points[rng.int(0, n)])];
  while (centres.length < k) {
    const d = points.map((p) => Math.min(...centres.map((c) => distance2(p, c))));
    const total = d.reduce((a, b) => a + b, 0);
    let r = rng.uniform() * total;
    let pick = 0;
    while (pick < n - 1 && r >= d[pick]) r -= d[pick++];
    centres.push(Float64Array.from(points[pick]));
  }
  let assignment = new Array<number>(n).fill(-1);
  for (let it = 0; it < iterations; it++) {
    const next = points.map((p) => {
      let best = 0;
      for (let c = 1; c < k; c++) if (distance2(p, centres[c]) < distance2(p, centres[best])) best = c;
      return best;
    });
    const changed = next.some((a, i) => a !== assignment[i]);
    assignment = next;
    for (let c = 0; c < k; c++) {
      const members = points.filter((_, i) => assignment[i] === c);
      if (members.length === 0) continue; // an empty cluster keeps its centre
      const centre = new Float64Array(dim);
      for (const m of members) for (let j = 0; j < dim; j++) centre[j] += m[j] / members.length;
      centres[c] = centre;
    }
    if (!changed) break;
  }
  const inertia = points.reduce((s, p, i) => s + distance2(p, centres[assignment[i]]), 0);
  return { assignment, inertia };
}

/** Mean silhouette of an assignment (points alone in their cluster count 0). */
export function meanSilhouette(points: readonly Float64Array[], assignment: readonly number[]): number {
  const n = points.length;
  const clusters = [...new Set(assignment)];
  if (clusters.length < 2) return 0;
  let total = 0;
  for (let i = 0; i < n; i++) {
    const mean = (c: number): number => {
      let s = 0;
      let count = 0;
      for (let j = 0; j < n; j++) if (j !== i && assignment[j] === c) { s += Math.sqrt(distance2(points[i], points[j])); count++; }
      return count > 0 ? s / count : NaN;
    };
    const own = assignment.filter((a) => a === assignment[i]).length;
    if (own < 2) continue;
    const a = mean(assignment[i]);
    const b = Math.min(...clusters.filter((c) => c !== assignment[i]).map(mean));
    total += (b - a) / Math.max(a, b) || 0;
  }
  return total / n;
}

/**
 * Groups components by their trajectories. series[stat][t][k]: statistic `stat` of component k at
 * checkpoint t; names[k] the component ids. k is tried from 2 to min(maxK, components − 1).
 */
export function clusterTrajectories(
  series: Record<string, readonly ArrayLike<number>[]>,
  names: readonly string[],
  options: { maxK?: number; restarts?: number; seed?: number } = {},
): TrajectoryClustering | null {
  const statistics = Object.keys(series);
  const n = names.length;
  if (statistics.length === 0 || n < 3) return null;
  // standardise each statistic over all components and checkpoints
  const scaled = statistics.map((stat) => {
    const all = series[stat].flatMap((row) => Array.from(row));
    const mean = all.reduce((a, b) => a + b, 0) / all.length;
    const sd = Math.sqrt(all.reduce((a, b) => a + (b - mean) ** 2, 0) / all.length) || 1;
    return series[stat].map((row) => Array.from(row, (v) => (v - mean) / sd));
  });
  const points = names.map((_, k) => Float64Array.from(scaled.flatMap((rows) => rows.map((row) => row[k]))));
  const rng = new Rng(options.seed ?? 0);
  const restarts = options.restarts ?? 20;
  const maxK = Math.min(options.maxK ?? 6, n - 1);
  let best: { k: number; silhouette: number; assignment: number[] } | null = null;
  const tried: { k: number; silhouette: number }[] = [];
  for (let k = 2; k <= maxK; k++) {
    let run: { assignment: number[]; inertia: number } | null = null;
    for (let r = 0; r < restarts; r++) {
      const candidate = kMeans(points, k, rng);
      if (!run || candidate.inertia < run.inertia - 1e-12) run = candidate;
    }
    const silhouette = meanSilhouette(points, run!.assignment);
    tried.push({ k, silhouette });
    if (!best || silhouette > best.silhouette + 1e-12) best = { k, silhouette, assignment: run!.assignment };
  }
  if (!best) return null;
  if (best.silhouette < MIN_SILHOUETTE) best = { k: 1, silhouette: best.silhouette, assignment: names.map(() => 0) };
  const ids = [...new Set(best.assignment)];
  const groups = ids.map((c) => {
    const members = names.filter((_, k) => best!.assignment[k] === c);
    const index = names.map((_, k) => k).filter((k) => best!.assignment[k] === c);
    const centroid: Record<string, number[]> = {};
    for (const stat of statistics) centroid[stat] = series[stat].map((row) => index.reduce((s, k) => s + row[k], 0) / index.length);
    return { members, centroid };
  });
  // stable order: by the first member's position
  groups.sort((a, b) => names.indexOf(a.members[0]) - names.indexOf(b.members[0]));
  return { k: best.k, silhouette: best.silhouette, tried, groups, statistics };
}
