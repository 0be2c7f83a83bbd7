/**
 * A synthetic `ReportData` with a planted three-phase structure, for the report tests (and for
 * looking at the report without running an experiment). 12 checkpoints on a Pythia-like schedule,
 * 4 layers × 6 heads + 4 MLPs + LOGITS (29 nodes), parallel-residual influence (edges only to later
 * layers). Phases: exploration (diffuse, weak influence) → consolidation (an induction circuit
 * L1H2 → L2H3 and L0MLP hub emerge, loss on the repeated half drops) → refinement (stable, sparser).
 * Communities are layer blocks, noisy during exploration, with a split in refinement.
 */
import { Rng } from '../../lib/util/rng.js';
import type { FindingsResult, RoleStabilityDetail } from '../../lib/findings/findings.js';
import type { ReportCheckpoint, ReportData } from '../../lib/report/types.js';

export const SYNTHETIC_STEPS = [0, 1, 4, 16, 64, 256, 512, 1000, 2000, 4000, 8000, 16000];

export interface SyntheticOptions {
  seed?: number;
  /** Layers (default 4; at least 3, for the planted L1H2 → L2H3 circuit). */
  layers?: number;
  /** Heads per layer (default 6; at least 4). */
  heads?: number;
  /** Checkpoint steps (default SYNTHETIC_STEPS); phases split at 64 and 2000. */
  steps?: number[];
}

export function syntheticNodes(layers = 4, heads = 6): string[] {
  const nodes: string[] = [];
  for (let l = 0; l < layers; l++) {
    for (let h = 0; h < heads; h++) nodes.push(`L${l}H${h}`);
    nodes.push(`L${l}MLP`);
  }
  nodes.push('LOGITS');
  return nodes;
}

/** 0 exploration (steps < 64), 1 consolidation (64 … < 2000), 2 refinement (≥ 2000). */
function phaseIndex(step: number): number {
  return step < 64 ? 0 : step < 2000 ? 1 : 2;
}

export function syntheticReportData(options: SyntheticOptions = {}): ReportData {
  const seed = options.seed ?? 7;
  const layers = options.layers ?? 4;
  const steps = options.steps ?? SYNTHETIC_STEPS;
  const rng = new Rng(seed);
  const nodes = syntheticNodes(layers, options.heads ?? 6);
  const layerOf = (id: string): number => (id === 'LOGITS' ? layers : Number(/^L(\d+)/.exec(id)![1]));
  const n = nodes.length;
  const checkpoints: ReportCheckpoint[] = steps.map((step, c) => {
    const phase = phaseIndex(step);
    const progress = c / Math.max(1, steps.length - 1);
    const matrix: number[][] = [];
    for (let i = 0; i < n; i++) {
      const row: number[] = [];
      for (let j = 0; j < n; j++) {
        if (layerOf(nodes[j]) <= layerOf(nodes[i])) { row.push(0); continue; }
        // Long-tailed weights whose spread grows with training.
        const base = Math.exp(rng.normal() * (0.5 + progress) - 3.2);
        row.push(phase === 2 && base < 0.02 ? 0 : base);
      }
      matrix.push(row);
    }
    const set = (a: string, b: string, w: number) => { matrix[nodes.indexOf(a)][nodes.indexOf(b)] = w; };
    if (phase >= 1) {
      set('L1H2', 'L2H3', 0.45 + 0.1 * progress);
      set('L2H3', 'LOGITS', 0.6);
      const hub = nodes.indexOf('L0MLP');
      for (let j = 0; j < n; j++) if (matrix[hub][j] > 0) matrix[hub][j] += 0.12;
    }
    const total = matrix.flat().reduce((s, w) => s + w, 0);
    const lossDrop = phase === 0 ? 0 : phase === 1 ? 1.6 * progress : 2.2;
    // Communities: layer blocks; during exploration a quarter of the nodes wander between them;
    // in refinement the last block splits in two (heads vs the rest).
    const blockOf = (id: string): number => {
      const l = layerOf(id);
      if (phase >= 1 && id === 'L2H3') return 2;
      if (l <= (phase === 0 ? 1 : 0)) return 0;
      if (l <= layers / 2) return 1;
      return phase === 2 && /H/.test(id) ? 3 : 2;
    };
    const blocks: string[][] = [[], [], [], []];
    for (const id of nodes) {
      const wander = phase === 0 && c > 0 && rng.uniform() < 0.25;
      blocks[wander ? rng.int(0, 3) : blockOf(id)].push(id);
    }
    // The detector's numbering is arbitrary: present the blocks in a rotating order.
    const communities = blocks.filter((b) => b.length > 0).map((_, k, all) => all[(k + c) % all.length]);
    return {
      step,
      name: `step${step}`,
      matrix,
      communities,
      metrics: {
        loss_repeated: 6.8 - lossDrop + 0.05 * rng.normal(),
        icl_score: phase === 0 ? 0.02 * rng.normal() : -0.4 - 0.3 * progress,
        induction_score_max: phase === 0 ? 0.05 + 0.02 * progress : phase === 1 ? 0.35 + 0.4 * progress : 0.85,
        density: matrix.flat().filter((w) => w > 0).length / (n * (n - 1)),
        total_weight: total,
        strength_assortativity: -0.1 - 0.2 * phase + 0.03 * rng.normal(),
        average_clustering: 0.3 + 0.1 * phase,
        modularity: 0.15 + 0.12 * phase + 0.02 * rng.normal(),
        gini: 0.35 + 0.15 * phase,
        entropy: 6 - 0.4 * phase,
        skewness: 1 + phase,
        top10_share: 0.25 + 0.1 * phase,
        // Undefined at initialisation (too few edges in the tail).
        tail_alpha: step === 0 ? null : 2.8 - 0.3 * phase,
      },
    };
  });
  return {
    title: 'cntlens: synthetic run',
    subtitle: 'Planted three-phase structure (test data)',
    settings: { model: `synthetic-${layers}x${options.heads ?? 6}`, seed, influence: { measure: 'cosine', ablation: 'zero' }, steps },
    nodes,
    checkpoints,
    phases: plantedPhases(steps),
    summary: ['An induction circuit (L1H2 → L2H3) forms at the start of consolidation.'],
  };
}

/** The planted phases as a phase detector would report them (first / last checkpoint of each). */
function plantedPhases(steps: number[]): ReportData['phases'] {
  const labels = ['exploration', 'consolidation', 'refinement'];
  const groups = [0, 1, 2].map((k) => steps.filter((s) => phaseIndex(s) === k)).filter((g) => g.length > 0);
  const phases = groups.map((g) => ({
    start: g[0], end: g[g.length - 1], label: labels[phaseIndex(g[0])], stats: { mean_modularity: 0.15 + 0.12 * phaseIndex(g[0]) },
  }));
  const boundaries = phases.slice(1).map((p) => p.start);
  return { boundaries, confidence: boundaries.map((_, k) => [0.93, 0.71][k] ?? 0.5), method: 'synthetic: planted boundaries', phases };
}

/** Every statistic lib/phases writes per phase (PhaseStats' numeric fields): 15 columns' worth. */
const PHASE_STAT_NAMES = [
  'graphChange', 'metricChange', 'speed', 'spreaderVolatility', 'gathererVolatility', 'roleVolatility', 'spreaderJaccard',
  'gathererJaccard', 'giniMean', 'giniChange', 'topShareMean', 'topShareChange', 'relativeSpeed', 'relativeVolatility', 'activity',
];

/**
 * A layout stress test: 40 checkpoints (0, 1, 2, 4, …, 512, then every 1000 steps to 29000) cut
 * into 20 phases of two checkpoints each (labels cycling exploration → consolidation → refinement,
 * so most bands are a few px wide on the symlog axis), each phase with a long label reason and
 * every lib/phases statistic, a `changes` entry per boundary (one without a confidence), a merged
 * boundary, and 14 communities per checkpoint (a two-row community legend).
 */
export function manyPhasesReportData(): ReportData {
  const steps = [0, 1, 2, 4, 8, 16, 32, 64, 128, 256, 512, ...Array.from({ length: 29 }, (_, k) => 1000 * (k + 1))];
  const data = syntheticReportData({ steps });
  const labels = ['exploration', 'consolidation', 'refinement'];
  const phases: NonNullable<ReportData['phases']>['phases'] = [];
  for (let i = 0, k = 0; i < steps.length; i += 2, k++) {
    const label = labels[k % 3];
    phases.push({
      start: steps[i], end: steps[Math.min(i + 1, steps.length - 1)], label,
      reason: `${label}: relative speed 0.${k + 10} against the threshold 0.50 and role volatility 0.41 against 0.30 (activity 0.72, the largest of all phases; change speed from the influence matrices, graphChange)`,
      stats: Object.fromEntries(PHASE_STAT_NAMES.map((name, j) => [name, 0.05 * j + k / 100])),
      ...(k === 1 ? { merged: [{ step: 2, reason: 'exploration on both sides' }] } : {}),
    });
  }
  const boundaries = phases.slice(1).map((p) => p.start);
  data.phases = {
    boundaries, phases,
    confidence: boundaries.map((_, k) => (k % 5) / 5),
    method: 'PELT on 12 standardised metrics, penalty 3.21, confidence by penalty sweep',
    changes: boundaries.map((step, k) => ({
      step, index: steps.indexOf(step),
      summary: `At step ${step} modularity jumps by 1.8 noise units and total weight stops growing (slope 0.42 → 0.03), while the spreader ranking reshuffles.`,
      confidence: k === 0 ? null : 0.8,
      metrics: [
        { metric: 'modularity', levelJump: 1.8, slopeBefore: 0.1, slopeAfter: 0.02, share: 0.6 },
        { metric: 'total_weight', levelJump: 0.4, slopeBefore: 0.42, slopeAfter: 0.03, share: 0.25 },
      ],
    })),
  };
  const communities = 14;
  data.checkpoints.forEach((ck, c) => {
    // Every third checkpoint shifts the nodes by one community, so ribbons cross.
    ck.communities = Array.from({ length: communities }, (_, j) => data.nodes.filter((_, i) => (i + (c % 3 === 0 ? 1 : 0)) % communities === j));
  });
  data.title = 'cntlens: synthetic run with many short phases';
  return data;
}

/**
 * A hand-made `FindingsResult` (lib/findings) for the report's Findings section, matched to
 * `syntheticReportData()`: three phases (exploration, consolidation, refinement), its node ids in
 * the trajectory groups. The five claims cover all four verdicts (spreaders supported, gatherers
 * not beyond structure, the difference not supported, the junctures undetermined with no interval,
 * the long tail supported) so every badge is drawn. `intervals: false` drops every interval, as a
 * run without per-prompt values has none; `phases` (default: the synthetic run's three) sets the
 * per-phase tables' rows, `nodes` the trajectory groups' members.
 */
export function syntheticFindings(options: { intervals?: boolean; nodes?: string[]; phases?: { label: string; start: number; end: number }[] } = {}): FindingsResult {
  const withIntervals = options.intervals ?? true;
  const phases = options.phases ?? [{ label: 'exploration', start: 0, end: 16 }, { label: 'consolidation', start: 64, end: 1000 }, { label: 'refinement', start: 2000, end: 16000 }];
  const perPhase = (values: (number | null)[]) => phases.map((_, k) => values[k % values.length]);
  const nodes = (options.nodes ?? syntheticNodes()).filter((id) => id !== 'LOGITS');
  const ci = (lo: number, hi: number): [number, number] | null => (withIntervals ? [lo, hi] : null);
  const stability = (mean: number, perSegment: (number | null)[]) => ({ taus: [null, ...perSegment.map(() => mean)], mean, perSegment });
  const role = (raw: number, z: number, structureP: number, segments: (number | null)[], zSegments: (number | null)[]): RoleStabilityDetail => ({
    raw: stability(raw, segments),
    nullCorrected: stability(z, zSegments),
    structure: { observed: raw, nullMean: raw - 0.2, nullSd: 0.05, z: structureP < 0.01 ? 4 : 0.5, p: structureP, draws: 200 },
    persistence: { lag: 3, nullCorrected: z * 0.8, ratio: 0.8 },
    vsInitialisation: { raw: 0.3, nullCorrected: 0.1 },
    intervals: { raw: ci(raw - 0.06, raw + 0.05), nullCorrected: ci(z - 0.08, z + 0.07) },
  });
  const perCheckpoint = phases.flatMap((p) => [p.start, p.end]).map((step) => ({
    step, n: 600, nTail: 80, alpha: 2.4, xmin: 0.05, ks: 0.04, gof: { p: 0.3, draws: 100 },
    vsLognormal: { alternative: 'lognormal' as const, lr: -1.2, statistic: -0.8, p: 0.42, favours: 'neither' as const },
    vsExponential: { alternative: 'exponential' as const, lr: 14.2, statistic: 3.9, p: 1e-4, favours: 'power-law' as const },
  }));
  const trajectoryGroups = [nodes.filter((id) => /^L[01]/.test(id)), nodes.filter((id) => /^L[2-9]/.test(id) && id !== 'L2H3'), nodes.filter((id) => id === 'L2H3')];
  return {
    settings: {
      resamples: 200, nullDraws: 200, junctureDraws: 10000, level: 0.05, seed: 0, longTail: true, tailDraws: null,
      perClaimLevel: 0.01, persistenceRatio: 0.5, resamplesUsed: withIntervals ? 200 : 0, nullModel: 'block',
    },
    spreaderStability: {
      claim: 'a stable hierarchy of information spreaders',
      statistic: "mean Kendall τ-b between consecutive checkpoints' spreader rankings (out-/in-strength)",
      value: 0.81, interval: ci(0.75, 0.86), p: 0.005, verdict: 'supported',
      sentence: 'Supported: the spreader ranking is more stable than on the block-permuted graphs (z = 4.00, p = 0.005 < 0.01), stays stable once the architecture\'s share is removed (null-corrected τ 0.42, [0.34, 0.49]) and persists.',
    },
    gathererStability: {
      claim: 'the set of information gatherers is stable (the study claims it is dynamic)',
      statistic: "mean Kendall τ-b between consecutive checkpoints' gatherer rankings (out-/in-strength)",
      value: 0.74, interval: ci(0.68, 0.79), p: 0.31, verdict: 'not beyond structure',
      sentence: 'Not beyond structure: the gatherer ranking is stable (τ 0.74, [0.68, 0.79]) but no more than the layered architecture makes it: z = 0.50 against the block-permuted graphs (p = 0.310).',
    },
    stabilityDifference: {
      claim: 'spreaders are more stable than gatherers (stable spreaders, dynamic gatherers)',
      statistic: 'mean consecutive τ-b of spreaders − of gatherers, on the null-corrected rankings',
      value: 0.04, interval: ci(-0.05, 0.12), p: 0.21, verdict: 'not supported',
      sentence: 'Not supported: the difference is 0.04 [-0.05, 0.12] on the null-corrected rankings (raw 0.07 [0.01, 0.13]).',
    },
    reconfiguration: {
      claim: 'roles reconfigure at the key learning junctures (the phase boundaries)',
      statistic: 'mean distance in checkpoints from the largest drops in role-ranking stability to the nearest boundary',
      value: null, interval: null, p: null, verdict: 'undetermined',
      sentence: 'Undetermined: no admissible random boundary set or no stability drop.',
    },
    longTail: {
      claim: 'a long-tailed distribution of edge weights emerges with training',
      statistic: 'Vuong likelihood-ratio statistic, power law vs exponential, on the tail of the final checkpoint',
      value: 3.9, interval: null, p: 1e-4, verdict: 'supported',
      sentence: 'Supported: the weights end heavier-tailed than exponential and more checkpoints are so late than early (final checkpoint: α = 2.40 [2.21, 2.63], GoF p = 0.300).',
    },
    details: {
      spreader: role(0.81, 0.42, 0.005, perPhase([0.62, 0.84, 0.93]), perPhase([0.21, 0.45, 0.58])),
      gatherer: role(0.74, 0.08, 0.31, perPhase([0.55, 0.78, 0.86]), perPhase([0.02, 0.11, null])),
      difference: { raw: 0.07, nullCorrected: 0.04, intervals: { raw: ci(0.01, 0.13), nullCorrected: ci(-0.05, 0.12) }, p: { raw: 0.02, nullCorrected: 0.21 } },
      junctures: null,
      beyondStructure: { step: 4000, spreaders: [{ id: 'L0H1', z: 4.2 }], gatherers: [{ id: 'L1H0', z: 3.1 }] },
      tail: {
        perCheckpoint,
        perPhase: phases.map((p, k) => ({
          ...p,
          longTailed: [0.25, 2 / 3, 1][k % 3],
          plausiblePowerLaw: [0.5, 2 / 3, null][k % 3],
          lognormalPreferred: [0.75, 1 / 3, 0][k % 3],
        })),
        finalAlpha: { value: 2.4, interval: ci(2.21, 2.63) },
      },
      trajectories: {
        k: trajectoryGroups.length, silhouette: 0.47, tried: [{ k: 2, silhouette: 0.41 }, { k: 3, silhouette: 0.47 }],
        groups: trajectoryGroups.map((members) => ({ members, centroid: { out_strength_z: [0, 1], in_strength_z: [1, 0] } })),
        statistics: ['out_strength_z', 'in_strength_z'],
      },
    },
    unavailable: {
      reconfiguration: 'no admissible random boundary set or no stability drop',
      ...(withIntervals ? {} : { intervals: 'no per-prompt values at every checkpoint (or a single prompt): no bootstrap intervals' }),
    },
  };
}
