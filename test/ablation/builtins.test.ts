import { expect } from 'chai';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../../lib/model/backend.js';
import { getAblation, type AblationContext } from '../../lib/ablation/registry.js';
import { seededDerangement } from '../../lib/ablation/ablations/resample.js';
import { gaussianNoise } from '../../lib/ablation/ablations/noise.js';
import { componentNodes } from '../../lib/ablation/nodes.js';
import { Rng } from '../../lib/util/rng.js';
import { OptionError } from '../../lib/util/errors.js';
import '../../lib/ablation/ablations/index.js';

const node = componentNodes(2, 2)[1]; // L0H1
const ctx = (seed = 3, nodeSeed = 11): AblationContext => ({ node, seed, nodeSeed, tf });

/** clean [2 prompts, 2 positions, 3 features], small integers so every expected value is exact. */
const CLEAN = [
  [[1, 2, 3], [3, 6, 9]],
  [[5, -2, 0], [-1, 2, 4]],
];

function apply(name: string, clean: number[][][], c = ctx()): number[][][] {
  const x = tf.tensor3d(clean);
  const y = getAblation(name).replacement(x, c);
  const out = y.arraySync() as number[][][];
  tf.dispose([x, y]);
  return out;
}

describe('built-in ablations', () => {
  before(async () => {
    await initBackend({ quiet: true });
  });

  it('zero replaces every entry with 0', () => {
    expect(apply('zero', CLEAN)).to.deep.equal([[[0, 0, 0], [0, 0, 0]], [[0, 0, 0], [0, 0, 0]]]);
  });

  it('mean replaces every prompt and position with the mean over prompts and positions', () => {
    // feature means: (1+3+5-1)/4 = 2, (2+6-2+2)/4 = 2, (3+9+0+4)/4 = 4
    const row = [2, 2, 4];
    expect(apply('mean', CLEAN)).to.deep.equal([[row, row], [row, row]]);
  });

  it('resample gives each prompt another prompt\'s output, position by position', () => {
    expect(apply('resample', CLEAN)).to.deep.equal([CLEAN[1], CLEAN[0]]); // the only derangement of 2
    const three = [...CLEAN, [[7, 7, 7], [8, 8, 8]]];
    const out = apply('resample', three, ctx(5));
    const perm = seededDerangement(3, 5);
    expect(out).to.deep.equal(perm.map((p) => three[p]));
  });

  it('resample derangements have no fixed point, are seeded, and reach every derangement', () => {
    const seen = new Set<string>();
    for (let seed = 0; seed < 40; seed++) {
      const perm = seededDerangement(4, seed);
      expect([...perm].sort()).to.deep.equal([0, 1, 2, 3]);
      perm.forEach((p, i) => expect(p).to.not.equal(i));
      expect(seededDerangement(4, seed)).to.deep.equal(perm);
      seen.add(perm.join(','));
    }
    expect(seen.size).to.equal(9); // !4 = 9 derangements of 4 items
  });

  it('resample refuses a single prompt', () => {
    expect(() => seededDerangement(1, 0)).to.throw(OptionError, /at least 2 prompts/);
  });

  it('noise is σ·ε with σ the population std of the clean output and ε the seeded normals', () => {
    // entries ±1 → mean 0, population std 1, so the replacement is ε itself
    const clean = [[[1, -1], [1, -1]], [[-1, 1], [-1, 1]]];
    const out = apply('noise', clean, ctx(0, 42)).flat(2);
    const rng = new Rng(42);
    const expected = Array.from({ length: 8 }, () => Math.fround(rng.normal()));
    out.forEach((v, i) => expect(v).to.be.closeTo(expected[i], 1e-6));
    // entries 0 and 4 → std 2: twice the same draws
    const scaled = apply('noise', [[[0, 4], [0, 4]], [[4, 0], [4, 0]]], ctx(0, 42)).flat(2);
    scaled.forEach((v, i) => expect(v).to.be.closeTo(2 * expected[i], 1e-5));
  });

  it('noise depends on the component seed only', () => {
    const a = apply('noise', CLEAN, ctx(0, 7));
    expect(apply('noise', CLEAN, ctx(9, 7))).to.deep.equal(a);
    expect(apply('noise', CLEAN, ctx(0, 8))).to.not.deep.equal(a);
    expect(gaussianNoise(4, 7)).to.deep.equal(gaussianNoise(4, 7));
  });
});
