/**
 * Node roles over time. A spreader's ablation moves many other components (high out-strength of
 * the influence graph), a gatherer is moved by many (high in-strength), a gatekeeper sits on many
 * shortest paths (high betweenness). Per checkpoint the nodes are ranked by each role's score; the
 * rank stability between consecutive checkpoints is Kendall's τ-b of the scores and the Jaccard
 * overlap of the top-k sets; roles "reconfigure" where the stability drops far below its usual level.
 */
import { jaccard, kendallTauOfScores, rankIds, topK } from './ranking.js';
import { mad, MAD_TO_SD, median } from './standardize.js';
import type { CheckpointInput } from './types.js';

export type Role = 'spreader' | 'gatherer' | 'gatekeeper';
export const ROLES: readonly Role[] = ['spreader', 'gatherer', 'gatekeeper'];

/** Node metric that scores each role (names as lib/network writes them). */
export type RoleMetrics = Record<Role, string>;
export const DEFAULT_ROLE_METRICS: RoleMetrics = { spreader: 'out_strength', gatherer: 'in_strength', gatekeeper: 'betweenness' };

export interface ReconfigurationOptions {
  /** A transition is a reconfiguration when its robust z-score of instability reaches this (default 3). */
  z?: number;
  /** At most this many per role, the largest drops first (default 5). */
  max?: number;
  /**
   * Floor of the robust scale of the instability 1 − τ (default 0.05), so that a series of
   * almost identical rankings does not turn a tiny wobble into an infinite z-score.
   */
  minScale?: number;
}

export const DEFAULT_RECONFIGURATION: Required<ReconfigurationOptions> = { z: 3, max: 5, minScale: 0.05 };

/**
 * Scores of one role at one checkpoint: the node metric from `nodes`; failing that, in- and
 * out-strength computed from the influence matrix (row sums of |A| = out, column sums = in,
 * self-influence excluded). null when neither is there.
 */
export function nodeScores(checkpoint: CheckpointInput, metric: string): Record<string, number> | null {
  if (checkpoint.nodes) {
    const scores: Record<string, number> = {};
    for (const [id, metrics] of Object.entries(checkpoint.nodes)) {
      const v = metrics[metric];
      if (typeof v !== 'number' || !Number.isFinite(v)) return null;
      scores[id] = v;
    }
    return Object.keys(scores).length > 0 ? scores : null;
  }
  const { matrix, nodeIds } = checkpoint;
  if (matrix && nodeIds && (metric === 'out_strength' || metric === 'in_strength')) {
    const scores: Record<string, number> = {};
    nodeIds.forEach((id, i) => {
      let total = 0;
      for (let j = 0; j < nodeIds.length; j++) {
        if (j === i) continue;
        total += Math.abs(metric === 'out_strength' ? matrix[i][j] : matrix[j][i]);
      }
      scores[id] = total;
    });
    return scores;
  }
  return null;
}

export interface Reconfiguration {
  /** Step of the checkpoint where the new ranking is first seen. */
  step: number;
  /** Its checkpoint index. */
  index: number;
  /** Step of the checkpoint before. */
  previousStep: number;
  /** Kendall τ-b between the two rankings. */
  stability: number;
  /** Robust z-score of the instability 1 − τ against the whole series. */
  z: number;
}

export interface RoleSeries {
  role: Role;
  metric: string;
  /** Per checkpoint: node ids, highest score first. */
  rankings: string[][];
  /** Per checkpoint: the k highest. */
  top: string[][];
  /** Per checkpoint: Kendall τ-b with the previous checkpoint (null at the first, or when undefined). */
  stability: (number | null)[];
  /** Per checkpoint: Jaccard of the top-k set with the previous one (null at the first). */
  topJaccard: (number | null)[];
  reconfigurations: Reconfiguration[];
}

/** Rankings and their stability for one role; null (with the reason) when a checkpoint lacks the scores. */
export function roleSeries(
  checkpoints: readonly CheckpointInput[],
  role: Role,
  metric: string,
  k: number,
  reconfiguration: ReconfigurationOptions = {},
): { series: RoleSeries } | { reason: string } {
  const scores: Record<string, number>[] = [];
  for (const c of checkpoints) {
    const s = nodeScores(c, metric);
    if (!s) {
      const reason = c.nodes
        ? `node metric "${metric}" missing (or not finite) at step ${c.step}`
        : c.matrix && c.nodeIds
          ? `"${metric}" cannot be derived from the influence matrix (only out_strength and in_strength can) and there are no node metrics`
          : `no node-level metrics (or influence matrix with node ids) at step ${c.step}`;
      return { reason };
    }
    scores.push(s);
  }
  const rankings = scores.map(rankIds);
  const top = scores.map((s) => topK(s, Math.min(k, Object.keys(s).length)));
  const stability = scores.map((s, t) => {
    if (t === 0) return null;
    const tau = kendallTauOfScores(scores[t - 1], s);
    return Number.isFinite(tau) ? tau : null;
  });
  const topJaccard = top.map((set, t) => (t === 0 ? null : jaccard(top[t - 1], set)));
  const steps = checkpoints.map((c) => c.step);
  return {
    series: { role, metric, rankings, top, stability, topJaccard, reconfigurations: findReconfigurations(stability, steps, reconfiguration) },
  };
}

/**
 * Transitions where the rank stability drops far below its usual level: instability u = 1 − τ,
 * z = (u − median u) / max(1.4826·MAD(u), minScale); kept when z ≥ the threshold, largest drop
 * first, at most `max`. stability: per checkpoint, τ with the previous one (null = none).
 */
export function findReconfigurations(stability: readonly (number | null)[], steps: readonly number[], options: ReconfigurationOptions = {}): Reconfiguration[] {
  const { z: threshold, max, minScale } = { ...DEFAULT_RECONFIGURATION, ...options };
  const points = stability
    .map((tau, index) => ({ tau, index }))
    .filter((p): p is { tau: number; index: number } => p.tau !== null && p.index > 0);
  if (points.length < 3) return [];
  const instability = points.map((p) => 1 - p.tau);
  const center = median(instability);
  const scale = Math.max(mad(instability) * MAD_TO_SD, minScale);
  return points
    .map((p, i) => ({ step: steps[p.index], index: p.index, previousStep: steps[p.index - 1], stability: p.tau, z: (instability[i] - center) / scale }))
    .filter((r) => r.z >= threshold)
    .sort((a, b) => b.z - a.z || a.index - b.index)
    .slice(0, max);
}
