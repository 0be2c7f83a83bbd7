import { expect } from 'chai';
import { findings, fisherGreater } from '../../lib/findings/findings.js';
import { junctureTest, largestDrops, meanDistance, randomBoundaries } from '../../lib/findings/junctures.js';
import { strengthZScores } from '../../lib/findings/null-strength.js';
import { rankedComponents, rankStability, roleScores, structureTest } from '../../lib/findings/stability.js';
import { clusterTrajectories } from '../../lib/findings/trajectories.js';
import { allowedEdges } from '../../lib/network/null-models.js';
import { roleZScores } from '../../lib/network/role-z.js';
import { Rng } from '../../lib/util/rng.js';
import { plantedRoles, pythiaNodes, syntheticSeries } from './synthetic.js';

const NODES = pythiaNodes();
const ALLOWED = allowedEdges(NODES, { parallelResidual: true });
/** Fast settings for many seeds: fewer draws than the defaults, no tail bootstrap. */
const QUICK = { resamples: 100, nullDraws: 100, junctureDraws: 2000, longTail: false };
const PHASES = { boundaries: [10, 20], warmup: 0, minSize: 3, labels: ['exploration', 'consolidation', 'refinement'] };
const PHASES_12 = { boundaries: [6], warmup: 0, minSize: 3, labels: ['exploration', 'refinement'] };

describe('findings: building blocks', () => {
  it('rank stability: mean Kendall τ-b of consecutive rankings, per segment, after the warm-up', () => {
    const scores = [[1, 2, 3], [1, 2, 3], [3, 2, 1], [3, 2, 1], [1, 3, 2]].map((s) => Float64Array.from(s));
    const r = rankStability(scores, 0, [[0, 2], [2, 5]]);
    // τ: 1, −1, 1, then [3,2,1]→[1,3,2]: pairs (a,b): 3>2 vs 1<3 discordant, (a,c): 3>1 vs 1<2 discordant, (b,c): 2>1 vs 3>2 concordant → −1/3
    expect(r.taus).to.deep.equal([null, 1, -1, 1, -1 / 3]);
    expect(r.mean).to.be.closeTo((1 - 1 + 1 - 1 / 3) / 4, 1e-12);
    expect(r.perSegment[0]).to.equal(1);
    expect(r.perSegment[1]).to.be.closeTo((1 - 1 / 3) / 2, 1e-12);
    // transitions at or before the warm-up's last checkpoint do not count
    expect(rankStability(scores, 2).taus).to.deep.equal([null, null, null, 1, -1 / 3]);
  });

  it('role scores: out- and in-strength of the components, LOGITS not ranked', () => {
    const nodes = ['L0H0', 'L0MLP', 'L1H0', 'LOGITS'];
    const m = [[0, 0, 2, 1], [0, 0, -3, 0.5], [0, 0, 0, 4], [0, 0, 0, 0]];
    const ranked = rankedComponents(nodes);
    expect(ranked).to.deep.equal([0, 1, 2]);
    const s = roleScores(m, ranked);
    expect(Array.from(s.spreader)).to.deep.equal([3, 3.5, 4]);
    expect(Array.from(s.gatherer)).to.deep.equal([0, 0, 5]);
  });

  it('the closed-form strength z-scores agree with the Monte Carlo null of lib/network', () => {
    const series = syntheticSeries({ checkpoints: 1, seed: 3, weight: plantedRoles(3) });
    const exact = strengthZScores(series.matrices[0], NODES, ALLOWED);
    const mc = roleZScores(series.matrices[0], ALLOWED, { nodes: NODES, kind: 'block', draws: 2000, seed: 1 });
    let compared = 0;
    NODES.forEach((id, i) => {
      const out = mc.nodes[id]?.out_strength;
      if (exact.out[i] !== null && out && out.z !== null) {
        expect(exact.out[i]!, `${id} out`).to.be.closeTo(out.z, 0.1 + 0.05 * Math.abs(out.z));
        compared++;
      }
    });
    expect(compared).to.be.at.least(20);
  });

  it('juncture test: drops placed at the boundaries are closer than chance, drops elsewhere are not', () => {
    const n = 40;
    const atBoundaries = Array.from({ length: n }, (_, t) => (t === 0 ? null : t === 12 || t === 27 ? 0.9 : 0.1 + 0.001 * t));
    const hit = junctureTest(atBoundaries, [12, 27], { from: 0, minSize: 3, draws: 5000, seed: 1 })!;
    expect(hit.drops).to.deep.equal([12, 27]);
    expect(hit.distance).to.equal(0);
    expect(hit.p).to.be.below(0.01);
    const elsewhere = Array.from({ length: n }, (_, t) => (t === 0 ? null : t === 5 || t === 36 ? 0.9 : 0.1));
    const miss = junctureTest(elsewhere, [18, 24], { from: 0, minSize: 3, draws: 5000, seed: 1 })!;
    expect(miss.p).to.be.above(0.5);
    expect(largestDrops([null, 0.2, 0.5, 0.5, 0.1], 2)).to.deep.equal([2, 3]);
    expect(meanDistance([3, 10], [4, 9])).to.equal(1);
  });

  it('random boundaries keep their number and the minimum phase size, uniformly', () => {
    const rng = new Rng(2);
    const seen = new Map<string, number>();
    for (let k = 0; k < 6000; k++) {
      const b = randomBoundaries(rng, 2, 0, 9, 3)!;
      expect(b[0]).to.be.at.least(3);
      expect(b[1] - b[0]).to.be.at.least(3);
      expect(9 - b[1]).to.be.at.least(3);
      seen.set(b.join(','), (seen.get(b.join(',')) ?? 0) + 1);
    }
    // the admissible sets of 2 boundaries in 9 checkpoints with phases of ≥ 3: only [3, 6]
    expect([...seen.keys()]).to.deep.equal(['3,6']);
    const counts = new Map<string, number>();
    for (let k = 0; k < 6000; k++) {
      const b = randomBoundaries(rng, 1, 0, 10, 3)!.join(',');
      counts.set(b, (counts.get(b) ?? 0) + 1);
    }
    // single boundary at 3…7: five positions, 1200 expected each
    expect([...counts.keys()].sort()).to.deep.equal(['3', '4', '5', '6', '7']);
    for (const c of counts.values()) expect(c).to.be.within(1050, 1350);
    expect(randomBoundaries(rng, 3, 0, 9, 3)).to.equal(null);
  });

  it('trajectory clustering finds two planted kinds of component and prefers k = 2', () => {
    const rng = new Rng(4);
    const names = Array.from({ length: 12 }, (_, k) => `N${k}`);
    const rising = (k: number): boolean => k % 3 === 0;
    const series = Array.from({ length: 20 }, (_, t) => Float64Array.from(names, (_, k) => (rising(k) ? 0.2 * t : 2 - 0.05 * t) + 0.1 * rng.normal()));
    const result = clusterTrajectories({ score: series }, names, { seed: 1 })!;
    expect(result.k).to.equal(2);
    const groups = result.groups.map((g) => g.members.sort());
    expect(groups).to.deep.include(names.filter((_, k) => rising(k)).sort());
    expect(result.silhouette).to.be.above(0.5);
  });
});

describe('findings: planted truth (issue acceptance, through the library)', () => {
  it('pure structure (i.i.d. weights per allowed edge at every checkpoint): spreaders and gatherers are "not beyond structure" in >= 95% of seeds', () => {
    const seeds = 40;
    let spreaders = 0;
    let gatherers = 0;
    for (let seed = 0; seed < seeds; seed++) {
      const s = syntheticSeries({ checkpoints: 30, seed: 500 + seed });
      const f = findings({ ...s, parallelResidual: true, phases: PHASES }, { ...QUICK, seed });
      if (f.spreaderStability.verdict === 'not beyond structure') spreaders++;
      if (f.gathererStability.verdict === 'not beyond structure') gatherers++;
      // raw rankings are stable here: by the architecture alone
      expect(f.details.spreader.raw.mean!).to.be.above(0.3);
      expect(Math.abs(f.details.spreader.structure.z!)).to.be.below(4);
    }
    expect(spreaders / seeds, 'spreaders').to.be.at.least(0.95);
    expect(gatherers / seeds, 'gatherers').to.be.at.least(0.95);
  });

  it('a planted stable spreader hierarchy with gatherers reshuffled every 3 checkpoints: spreaders supported, gatherers not, the difference excludes 0', () => {
    for (let seed = 0; seed < 5; seed++) {
      const s = syntheticSeries({ checkpoints: 30, seed: 900 + seed, weight: plantedRoles(seed) });
      const f = findings({ ...s, parallelResidual: true, phases: PHASES }, { ...QUICK, seed });
      expect(f.spreaderStability.verdict, `seed ${seed}: ${f.spreaderStability.sentence}`).to.equal('supported');
      expect(f.gathererStability.verdict, `seed ${seed}: ${f.gathererStability.sentence}`).to.not.equal('supported');
      expect(f.stabilityDifference.interval![0], `seed ${seed}: ${f.stabilityDifference.sentence}`).to.be.above(0);
      expect(f.stabilityDifference.verdict).to.equal('supported');
    }
  });

  it('reconfiguration: gatherers reshuffled exactly at the phase boundaries are found there', () => {
    const rng = new Rng(7);
    const n = NODES.length;
    const pool = Array.from({ length: n }, () => Math.exp(0.8 * rng.normal()));
    const deals = [0, 1, 2].map(() => rng.shuffle(pool.slice()));
    const weight = (_i: number, j: number, t: number): number => deals[t < 10 ? 0 : t < 20 ? 1 : 2][j];
    const s = syntheticSeries({ checkpoints: 30, seed: 11, weight, edgeNoise: 0.2 });
    const f = findings({ ...s, parallelResidual: true, phases: PHASES }, { ...QUICK, seed: 1 });
    expect(f.details.junctures!.drops.sort((a, b) => a - b)).to.deep.equal([10, 20]);
    expect(f.reconfiguration.verdict).to.equal('supported');
    expect(f.reconfiguration.interval).to.not.equal(null);
  });

  it('says what it cannot judge: no per-prompt values, no boundary', () => {
    const s = syntheticSeries({ checkpoints: 12, seed: 3 });
    const f = findings({ steps: s.steps, nodes: s.nodes, matrices: s.matrices, parallelResidual: true, phases: { boundaries: [], warmup: 0, minSize: 3, labels: ['refinement'] } }, { ...QUICK });
    expect(f.spreaderStability.interval).to.equal(null);
    expect(f.unavailable.intervals).to.match(/no per-prompt values/);
    expect(f.reconfiguration.verdict).to.equal('undetermined');
    expect(f.stabilityDifference.verdict).to.equal('undetermined');
    expect(f.settings.perClaimLevel).to.equal(0.01);
  });

  it('the structure test is reproducible and its p is a valid permutation p-value', () => {
    const s = syntheticSeries({ checkpoints: 10, seed: 4 });
    const a = structureTest(s.matrices, NODES, ALLOWED, 'spreader', { draws: 50, seed: 3 });
    const b = structureTest(s.matrices, NODES, ALLOWED, 'spreader', { draws: 50, seed: 3 });
    expect(a).to.deep.equal(b);
    expect(a.p! * 51).to.be.closeTo(Math.round(a.p! * 51), 1e-9);
    expect(a.p!).to.be.within(1 / 51, 1);
  });
});

describe('findings: what a test can and cannot decide', () => {
  it("Fisher's exact test, one-sided, on hand-checked tables", () => {
    // 5 of 5 against 0 of 5: 1 / C(10, 5) = 1/252
    expect(fisherGreater(5, 5, 0, 5)).to.be.closeTo(1 / 252, 1e-12);
    // equal shares are no evidence: 2 of 4 vs 2 of 4 → P(X ≥ 2) = (C(4,2)² + C(4,3)C(4,1) + C(4,4)C(4,0)) / C(8,4) = (36 + 16 + 1) / 70
    expect(fisherGreater(2, 4, 2, 4)).to.be.closeTo(53 / 70, 1e-12);
    expect(fisherGreater(0, 0, 3, 4)).to.equal(1);
  });

  it('the juncture test says "undetermined" when even drops exactly on the boundaries could not reach the level', () => {
    const n = 20;
    const instability = Array.from({ length: n }, (_, t) => (t === 0 ? null : t === 10 ? 1 : 0.1));
    const t = junctureTest(instability, [10], { from: 0, minSize: 3, draws: 5000, seed: 2 })!;
    // one boundary has 15 admissible places: p cannot go below about 1/15
    expect(t.distance).to.equal(0);
    expect(t.minimumP).to.be.within(0.05, 0.09);
    const s = syntheticSeries({ checkpoints: 12, seed: 5 });
    const f = findings({ ...s, parallelResidual: true, phases: { boundaries: [6], warmup: 0, minSize: 3, labels: ['exploration', 'refinement'] } }, { ...QUICK });
    expect(f.reconfiguration.verdict).to.equal('undetermined');
    expect(f.reconfiguration.sentence).to.match(/even drops exactly on the boundaries would give p/);
  });

  it('trajectory clustering reports one group when there is no structure, and leaves out components without a null-corrected strength', () => {
    const rng = new Rng(8);
    const names = Array.from({ length: 10 }, (_, k) => `N${k}`);
    const noise = Array.from({ length: 15 }, () => Float64Array.from(names, () => rng.normal()));
    expect(clusterTrajectories({ score: noise }, names, { seed: 1 })!.k).to.equal(1);
    const s = syntheticSeries({ checkpoints: 12, seed: 6, weight: plantedRoles(6) });
    const f = findings({ ...s, parallelResidual: true, phases: PHASES_12 }, { ...QUICK });
    const members = f.details.trajectories!.groups.flatMap((g) => g.members);
    for (let l = 0; l < 6; l++) expect(members).to.not.include(`L${l}MLP`);
  });
});
