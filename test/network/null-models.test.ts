/**
 * Structural null models (lib/network/null-models.ts) and role z-scores (role-z.ts): each null
 * keeps exactly what it promises, draws are seeded, the fast statistics equal lib/network's, and
 * z removes the layered DAG's built-in advantage of early spreaders while catching a planted one.
 */
import { expect } from 'chai';
import { componentNodes } from '../../lib/ablation/nodes.js';
import { graphFromInfluence } from '../../lib/network/influence-graph.js';
import { hits } from '../../lib/network/hits.js';
import { pagerank } from '../../lib/network/pagerank.js';
import { strength } from '../../lib/network/strength.js';
import {
  allowedEdges, layerNormalisedStrength, nullModel, roleZScores, ROLE_STATISTICS,
  type AllowedEdge, type NullModelKind, type RoleStatistic,
} from '../../lib/network/index.js';
import { Rng } from '../../lib/util/rng.js';

/** Node ids of a model, in matrix order (the same order as lib/ablation's componentNodes). */
function ids(layers: number, heads: number): string[] {
  return componentNodes(layers, heads).map((node) => node.name);
}

/** A matrix with `weight(i, j)` on each allowed edge and 0 elsewhere. */
function matrixOn(n: number, allowed: readonly AllowedEdge[], weight: (i: number, j: number) => number): number[][] {
  const matrix = Array.from({ length: n }, () => new Array<number>(n).fill(0));
  for (const [i, j] of allowed) matrix[i][j] = weight(i, j);
  return matrix;
}

function layerOf(id: string): number {
  return id === 'LOGITS' ? Infinity : Number(/^L(\d+)/.exec(id)![1]);
}

function kindOf(id: string): string {
  return id === 'LOGITS' ? 'logits' : id.endsWith('MLP') ? 'mlp' : 'head';
}

function blockKey(nodes: string[], [i, j]: AllowedEdge): string {
  return `${layerOf(nodes[i])}|${layerOf(nodes[j])}|${kindOf(nodes[i])}|${kindOf(nodes[j])}`;
}

function sorted(values: number[]): number[] {
  return [...values].sort((a, b) => a - b);
}

describe('network: structural null models', () => {
  describe('allowedEdges', () => {
    // 2 layers × 2 heads: 0 L0H0, 1 L0H1, 2 L0MLP, 3 L1H0, 4 L1H1, 5 L1MLP, 6 LOGITS.
    const nodes = ids(2, 2);

    it('parallel residual: each layer reaches every later node and LOGITS, not its own layer', () => {
      expect(nodes).to.deep.equal(['L0H0', 'L0H1', 'L0MLP', 'L1H0', 'L1H1', 'L1MLP', 'LOGITS']);
      expect(allowedEdges(nodes, { parallelResidual: true })).to.deep.equal([
        [0, 3], [0, 4], [0, 5], [0, 6],
        [1, 3], [1, 4], [1, 5], [1, 6],
        [2, 3], [2, 4], [2, 5], [2, 6],
        [3, 6], [4, 6], [5, 6],
      ]);
    });

    it('sequential residual: a head also reaches the MLP of its own layer', () => {
      expect(allowedEdges(nodes, { parallelResidual: false })).to.deep.equal([
        [0, 2], [0, 3], [0, 4], [0, 5], [0, 6],
        [1, 2], [1, 3], [1, 4], [1, 5], [1, 6],
        [2, 3], [2, 4], [2, 5], [2, 6],
        [3, 5], [3, 6], [4, 5], [4, 6], [5, 6],
      ]);
    });

    it('follows the ids, in any order and without LOGITS', () => {
      // LOGITS first, then L1MLP, L0H0: indices 0, 1, 2.
      expect(allowedEdges(['LOGITS', 'L1MLP', 'L0H0'], { parallelResidual: true })).to.deep.equal([[1, 0], [2, 0], [2, 1]]);
      expect(allowedEdges(['L0H0', 'L0MLP', 'L1H0'], { parallelResidual: false })).to.deep.equal([[0, 1], [0, 2], [1, 2]]);
    });

    it('rejects an id it cannot parse, a repeated id and a missing residual flag, naming the function', () => {
      expect(() => allowedEdges(['L0H0', 'L0X1', 'LOGITS'], { parallelResidual: true })).to.throw(/^allowedEdges: .*"L0X1".*position 1/);
      expect(() => allowedEdges(['L0H0', 'L0H0'], { parallelResidual: true })).to.throw(/^allowedEdges: .*L0H0 is listed twice/);
      expect(() => allowedEdges(['L0H0'], {} as { parallelResidual: boolean })).to.throw(/^allowedEdges: .*parallelResidual/);
    });
  });

  describe('nullModel', () => {
    // 3 layers × 3 heads: blocks of 9 head→head edges, 3-edge head→MLP blocks, 1-edge MLP→MLP ones.
    const nodes = ids(3, 3);
    const n = nodes.length;

    for (const parallelResidual of [true, false]) {
      const allowed = allowedEdges(nodes, { parallelResidual });
      const isAllowed = new Set(allowed.map(([i, j]) => i * n + j));
      // Signed weights and a few zeros on allowed edges: the null moves them as they are.
      const source = new Rng(parallelResidual ? 11 : 12);
      const matrix = matrixOn(n, allowed, () => (source.uniform() < 0.1 ? 0 : source.normal()));

      for (const kind of ['all', 'block'] as NullModelKind[]) {
        it(`${kind} (${parallelResidual ? 'parallel' : 'sequential'} residual): same allowed set, same weights per ${kind === 'all' ? 'set' : 'block'}`, () => {
          for (const seed of [0, 1, 2, 3, 7]) {
            const draw = nullModel(matrix, allowed, kind, new Rng(seed), nodes);
            expect(draw.length).to.equal(n);
            for (let i = 0; i < n; i++) {
              expect(draw[i].length).to.equal(n);
              for (let j = 0; j < n; j++) if (!isAllowed.has(i * n + j)) expect(draw[i][j], `[${i}][${j}]`).to.equal(0);
            }
            const groupOf = (edge: AllowedEdge): string => (kind === 'all' ? 'all' : blockKey(nodes, edge));
            const before = new Map<string, number[]>();
            const after = new Map<string, number[]>();
            for (const edge of allowed) {
              const key = groupOf(edge);
              before.set(key, [...(before.get(key) ?? []), matrix[edge[0]][edge[1]]]);
              after.set(key, [...(after.get(key) ?? []), draw[edge[0]][edge[1]]]);
            }
            for (const [key, weights] of before) {
              expect(sorted(after.get(key)!), `seed ${seed}, group ${key}`).to.deep.equal(sorted(weights));
              const sum = (xs: number[]): number => xs.reduce((a, b) => a + b, 0);
              expect(sum(after.get(key)!)).to.be.closeTo(sum(weights), 1e-12);
            }
            // It is a real permutation, not the identity.
            expect(draw, `seed ${seed}`).to.not.deep.equal(matrix);
          }
        });
      }

      it(`'all' mixes blocks, 'block' does not (${parallelResidual ? 'parallel' : 'sequential'} residual)`, () => {
        // Weight = block number: 'block' gives the matrix back, 'all' moves weights across blocks.
        const keys = [...new Set(allowed.map((edge) => blockKey(nodes, edge)))];
        const labelled = matrixOn(n, allowed, (i, j) => 1 + keys.indexOf(blockKey(nodes, [i, j])));
        expect(nullModel(labelled, allowed, 'block', new Rng(5), nodes)).to.deep.equal(labelled);
        expect(nullModel(labelled, allowed, 'all', new Rng(5))).to.not.deep.equal(labelled);
      });
    }

    const allowed = allowedEdges(nodes, { parallelResidual: true });
    const matrix = matrixOn(n, allowed, (i, j) => 1 + i * n + j);

    it('is deterministic per seed and differs between seeds', () => {
      for (const kind of ['all', 'block'] as NullModelKind[]) {
        const a = nullModel(matrix, allowed, kind, new Rng(42), nodes);
        expect(nullModel(matrix, allowed, kind, new Rng(42), nodes)).to.deep.equal(a);
        expect(nullModel(matrix, allowed, kind, new Rng(43), nodes)).to.not.deep.equal(a);
        // Consecutive draws from one rng differ too.
        const rng = new Rng(42);
        expect(nullModel(matrix, allowed, kind, rng, nodes)).to.deep.equal(a);
        expect(nullModel(matrix, allowed, kind, rng, nodes)).to.not.deep.equal(a);
      }
    });

    it('rejects a non-zero entry outside the allowed set, naming the cell', () => {
      const bad = matrix.map((row) => [...row]);
      bad[3][1] = 0.5; // L0MLP → L0H1: same layer
      expect(() => nullModel(bad, allowed, 'all', new Rng(0), nodes)).to.throw(/^nullModel: matrix\[3\]\[1\] \(L0MLP → L0H1\) is 0\.5 but that edge is not allowed/);
      expect(() => nullModel(bad, allowed, 'all', new Rng(0))).to.throw(/^nullModel: matrix\[3\]\[1\] is 0\.5/);
      expect(() => roleZScores(bad, allowed, { nodes, draws: 2 })).to.throw(/^roleZScores: matrix\[3\]\[1\]/);
      expect(() => layerNormalisedStrength(bad, allowed)).to.throw(/^layerNormalisedStrength: matrix\[3\]\[1\]/);
    });

    it('rejects malformed input', () => {
      expect(() => nullModel(matrix, allowed, 'block', new Rng(0))).to.throw(/^nullModel: kind 'block' needs the node ids/);
      expect(() => nullModel(matrix, allowed, 'rows' as NullModelKind, new Rng(0), nodes)).to.throw(/^nullModel: kind must be/);
      expect(() => nullModel(matrix, [[0, n]], 'all', new Rng(0))).to.throw(/^nullModel: allowed\[0\]/);
      expect(() => nullModel(matrix.slice(1), allowed, 'all', new Rng(0))).to.throw(/^nullModel: matrix row 0/);
      expect(() => nullModel(matrix, allowed, 'block', new Rng(0), ['L0H0', 'bad'])).to.throw(/^nullModel: \d+ node ids/);
      const badIds = [...nodes];
      badIds[2] = 'attention';
      expect(() => nullModel(matrix, allowed, 'block', new Rng(0), badIds)).to.throw(/^nullModel: node id "attention"/);
    });
  });

  describe('layerNormalisedStrength', () => {
    it('divides strength by the number of possible edges; null where there is none', () => {
      // 2 × 2 parallel (see allowedEdges above): L0 nodes have 4 possible out-edges and none in;
      // L1 nodes 1 out (to LOGITS) and 3 in; LOGITS 6 in and none out.
      const nodes = ids(2, 2);
      const allowed = allowedEdges(nodes, { parallelResidual: true });
      const matrix = matrixOn(nodes.length, allowed, (i, j) => (i === 0 ? -2 : 1) * (j === 6 ? 3 : 1));
      const result = layerNormalisedStrength(matrix, allowed);
      expect(result.possibleOut).to.deep.equal([4, 4, 4, 1, 1, 1, 0]);
      expect(result.possibleIn).to.deep.equal([0, 0, 0, 3, 3, 3, 6]);
      // L0H0 out: |−2|·3 + 3·|−2| = 12 over 4; L0H1 out: 1+1+1+3 = 6 over 4.
      expect(result.out).to.deep.equal([3, 1.5, 1.5, 3, 3, 3, null]);
      // L1H0 in: 2 + 1 + 1 = 4 over 3; LOGITS in: 3·(2 + 1 + 1 + 1 + 1 + 1) = 21 over 6.
      expect(result.in).to.deep.equal([null, null, null, 4 / 3, 4 / 3, 4 / 3, 3.5]);
    });
  });

  describe('roleZScores', () => {
    /** lib/network's own values for the statistics, on the graph of |matrix|. */
    function libStatistics(nodes: string[], matrix: number[][]): Record<RoleStatistic, Record<string, number>> {
      const graph = graphFromInfluence({ nodes, matrix }, { negative: 'abs' });
      const h = hits(graph);
      expect(h.reason).to.equal(null);
      return {
        in_strength: strength(graph, { direction: 'in' }),
        out_strength: strength(graph, { direction: 'out' }),
        pagerank: pagerank(graph),
        hub: h.hubs!,
        authority: h.authorities!,
      };
    }

    it('raw statistics equal lib/network strength, pagerank and hits (1e-9)', () => {
      const cases: { nodes: string[]; parallelResidual: boolean; weight: (rng: Rng) => number }[] = [
        { nodes: ids(6, 4), parallelResidual: true, weight: (rng) => Math.exp(-3 + rng.normal()) },
        { nodes: ids(3, 3), parallelResidual: false, weight: (rng) => rng.normal() }, // signed: |w|
        { nodes: ids(4, 2), parallelResidual: true, weight: (rng) => (rng.uniform() < 0.6 ? 0 : rng.uniform()) }, // sparse, dangling nodes
        { nodes: ['L0H0', 'L0MLP', 'L1H0', 'L1MLP'], parallelResidual: false, weight: (rng) => rng.uniform() }, // no LOGITS
      ];
      for (const [c, { nodes, parallelResidual, weight }] of cases.entries()) {
        const rng = new Rng(100 + c);
        const allowed = allowedEdges(nodes, { parallelResidual });
        const observed = matrixOn(nodes.length, allowed, () => weight(rng));
        // The observed matrix and a null draw of it.
        for (const matrix of [observed, nullModel(observed, allowed, 'all', rng)]) {
          const expected = libStatistics(nodes, matrix);
          const result = roleZScores(matrix, allowed, { nodes, draws: 2 });
          for (const s of ROLE_STATISTICS) {
            for (const id of nodes) {
              expect(Math.abs(result.nodes[id][s].raw! - expected[s][id]), `case ${c} ${s}[${id}]`).to.be.at.most(1e-9);
            }
          }
        }
      }
    });

    it('draw d is the d-th nullModel draw of |matrix| from new Rng(seed)', () => {
      const nodes = ids(3, 2);
      const allowed = allowedEdges(nodes, { parallelResidual: true });
      const source = new Rng(9);
      const matrix = matrixOn(nodes.length, allowed, () => source.normal());
      for (const kind of ['all', 'block'] as NullModelKind[]) {
        const result = roleZScores(matrix, allowed, { nodes, kind, draws: 4, seed: 3 });
        const rng = new Rng(3);
        const draws = Array.from({ length: 4 }, () => libStatistics(nodes, nullModel(matrix, allowed, kind, rng, nodes)));
        for (const s of ROLE_STATISTICS) {
          for (const id of nodes) {
            const values = draws.map((d) => d[s][id]);
            const mean = values.reduce((a, b) => a + b, 0) / values.length;
            const sd = Math.sqrt(values.reduce((a, x) => a + (x - mean) ** 2, 0) / (values.length - 1));
            expect(result.nodes[id][s].nullMean!, `${kind} ${s}[${id}] mean`).to.be.closeTo(mean, 1e-9);
            expect(result.nodes[id][s].nullSd!, `${kind} ${s}[${id}] sd`).to.be.closeTo(sd, 1e-9);
          }
        }
      }
    });

    it('is deterministic per seed, differs between seeds, and has the stated defaults', () => {
      const nodes = ids(2, 2);
      const allowed = allowedEdges(nodes, { parallelResidual: true });
      const matrix = matrixOn(nodes.length, allowed, (i, j) => 1 + ((i * 7 + j * 3) % 5));
      const a = roleZScores(matrix, allowed, { nodes });
      expect([a.kind, a.draws, a.seed]).to.deep.equal(['block', 200, 0]);
      expect(roleZScores(matrix, allowed, { nodes, kind: 'block', draws: 200, seed: 0 })).to.deep.equal(a);
      expect(roleZScores(matrix, allowed, { nodes, seed: 1 }).nodes.L0H0.out_strength).to.not.deep.equal(a.nodes.L0H0.out_strength);
      expect(() => roleZScores(matrix, allowed, { nodes, draws: 1 })).to.throw(/^roleZScores: draws/);
    });

    it('states why z is null: a statistic the null cannot vary', () => {
      const nodes = ids(2, 2);
      const allowed = allowedEdges(nodes, { parallelResidual: true });
      const matrix = matrixOn(nodes.length, allowed, (i, j) => 1 + ((i * 7 + j * 3) % 5));
      const result = roleZScores(matrix, allowed, { nodes, draws: 20 });
      // LOGITS sends nothing; under 'block' an MLP owns its blocks, so its strengths are fixed.
      for (const [id, s] of [['LOGITS', 'out_strength'], ['L0MLP', 'out_strength'], ['L1MLP', 'in_strength'], ['LOGITS', 'in_strength'], ['L0H0', 'authority']] as const) {
        const z = result.nodes[id][s];
        expect(z.z, `${id} ${s}`).to.equal(null);
        expect(z.nullSd, `${id} ${s}`).to.equal(0);
        expect(z.reason, `${id} ${s}`).to.match(/^null sd is 0/);
      }
      expect(result.nodes.L0H0.out_strength.z).to.be.a('number');
      expect(result.nodes.L0H0.out_strength.reason).to.equal(null);
    });

    // 3 layers × 4 heads, parallel: layer 0 has 11 possible out-edges, layer 1 has 6, layer 2 one.
    const nodes = ids(3, 4);
    const allowed = allowedEdges(nodes, { parallelResidual: true });
    const uniformWeights = (seed: number): number[][] => {
      const rng = new Rng(seed);
      return matrixOn(nodes.length, allowed, () => 0.5 + rng.uniform());
    };

    for (const kind of ['block', 'all'] as NullModelKind[]) {
      it(`i.i.d. weights: raw out-strength favours layer 0, z does not (${kind})`, () => {
        const absZ: Record<RoleStatistic, number[]> = Object.fromEntries(ROLE_STATISTICS.map((s) => [s, []])) as never;
        const rawOut = { layer0: [] as number[], layer1: [] as number[] };
        const zOut = { layer0: [] as number[], layer1: [] as number[] };
        for (let seed = 1; seed <= 6; seed++) {
          const result = roleZScores(uniformWeights(seed), allowed, { nodes, kind, seed });
          for (const id of nodes) {
            for (const s of ROLE_STATISTICS) {
              const z = result.nodes[id][s].z;
              if (z !== null) absZ[s].push(Math.abs(z));
            }
          }
          for (const [layer, key] of [[0, 'layer0'], [1, 'layer1']] as const) {
            for (let h = 0; h < 4; h++) {
              rawOut[key].push(result.nodes[`L${layer}H${h}`].out_strength.raw!);
              zOut[key].push(result.nodes[`L${layer}H${h}`].out_strength.z!);
            }
          }
        }
        const mean = (xs: number[]): number => xs.reduce((a, b) => a + b, 0) / xs.length;
        for (const s of ROLE_STATISTICS) {
          expect(absZ[s].length, s).to.be.above(20);
          expect(mean(absZ[s]), `mean |z| of ${s}`).to.be.below(1.2);
        }
        // 11 vs 6 possible out-edges of mean weight 1: raw about 11 vs 6; z about 0 for both.
        expect(Math.min(...rawOut.layer0)).to.be.above(Math.max(...rawOut.layer1));
        expect(mean(rawOut.layer0) / mean(rawOut.layer1)).to.be.above(1.5);
        expect(Math.abs(mean(zOut.layer0) - mean(zOut.layer1))).to.be.below(1);
      });
    }

    it('a planted spreader (out-edges ×3) stands out under block (Pythia-14M shape)', () => {
      const pythiaNodes = ids(6, 4);
      const pythiaAllowed = allowedEdges(pythiaNodes, { parallelResidual: true });
      for (const seed of [1, 2, 3]) {
        const rng = new Rng(seed);
        const matrix = matrixOn(pythiaNodes.length, pythiaAllowed, () => 0.5 + rng.uniform());
        for (const planted of ['L0H2', 'L1H1']) {
          const row = pythiaNodes.indexOf(planted);
          const boosted = matrix.map((r, i) => (i === row ? r.map((w) => 3 * w) : r));
          const result = roleZScores(boosted, pythiaAllowed, { nodes: pythiaNodes, seed });
          // About 7 here (3.5–6 on a 3-layer model, 3–5 with lognormal weights).
          expect(result.nodes[planted].out_strength.z!, `seed ${seed} ${planted}`).to.be.above(3);
          // A peer in the same blocks is pushed below its null mean: the blocks' weights are shared.
          const peer = planted.replace(/H\d+$/, 'H0');
          expect(result.nodes[peer].out_strength.z!, `seed ${seed} ${peer}`).to.be.below(0);
        }
      }
    });
  });
});
