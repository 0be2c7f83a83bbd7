import * as tf from '@tensorflow/tfjs';
import { expect } from 'chai';
import { initBackend } from '../../lib/model/backend.js';
import { AdamW, type TrainableParam } from '../../lib/train/optimizer.js';

before(async () => {
  await initBackend({ quiet: true });
});

/** Reference AdamW on plain numbers (float64), written from the paper's update rule. */
function referenceAdamW(p0: number[], grads: number[][], lrs: number[], o: { beta1: number; beta2: number; eps: number; wd: number; decay: boolean; clip: number; norms: number[] }): number[] {
  const p = [...p0];
  const m = p.map(() => 0);
  const v = p.map(() => 0);
  grads.forEach((g0, step) => {
    const t = step + 1;
    const scale = o.clip > 0 && o.norms[step] > o.clip ? o.clip / o.norms[step] : 1;
    for (let i = 0; i < p.length; i++) {
      const g = g0[i] * scale;
      if (o.decay) p[i] -= lrs[step] * o.wd * p[i];
      m[i] = o.beta1 * m[i] + (1 - o.beta1) * g;
      v[i] = o.beta2 * v[i] + (1 - o.beta2) * g * g;
      const mHat = m[i] / (1 - o.beta1 ** t);
      const vHat = v[i] / (1 - o.beta2 ** t);
      p[i] -= (lrs[step] * mHat) / (Math.sqrt(vHat) + o.eps);
    }
  });
  return p;
}

describe('train/optimizer AdamW', () => {
  const options = { beta1: 0.9, beta2: 0.95, eps: 1e-8, weightDecay: 0.1, gradClip: 0 };

  it('matches the reference update rule over several steps, with decay on decayed parameters only', () => {
    const a: TrainableParam = { name: 'W', variable: tf.variable(tf.tensor1d([0.5, -1, 2])), decay: true };
    const b: TrainableParam = { name: 'b', variable: tf.variable(tf.tensor1d([0.25, 3])), decay: false };
    const opt = new AdamW([a, b], options);
    const gradsA = [[0.1, -0.2, 0.3], [0.05, 0.4, -0.1], [-0.3, 0.1, 0.2]];
    const gradsB = [[1, -1], [0.5, 0.5], [-2, 0.1]];
    const lrs = [0.01, 0.02, 0.005];
    for (let s = 0; s < 3; s++) {
      const ga = tf.tensor1d(gradsA[s]);
      const gb = tf.tensor1d(gradsB[s]);
      opt.step({ [a.variable.name]: ga, [b.variable.name]: gb }, lrs[s]);
      tf.dispose([ga, gb]);
    }
    const common = { beta1: 0.9, beta2: 0.95, eps: 1e-8, wd: 0.1, clip: 0, norms: [] };
    const refA = referenceAdamW([0.5, -1, 2], gradsA, lrs, { ...common, decay: true });
    const refB = referenceAdamW([0.25, 3], gradsB, lrs, { ...common, decay: false });
    const gotA = [...a.variable.dataSync()];
    const gotB = [...b.variable.dataSync()];
    gotA.forEach((x, i) => expect(x).to.be.closeTo(refA[i], 1e-6));
    gotB.forEach((x, i) => expect(x).to.be.closeTo(refB[i], 1e-6));
    expect(opt.updates).to.equal(3);
    opt.dispose();
    tf.dispose([a.variable, b.variable]);
  });

  it('clips the global gradient norm and reports it before clipping', () => {
    const a: TrainableParam = { name: 'W', variable: tf.variable(tf.tensor1d([1, 1])), decay: false };
    const b: TrainableParam = { name: 'c', variable: tf.variable(tf.tensor1d([1])), decay: false };
    const opt = new AdamW([a, b], { ...options, gradClip: 1 });
    const ga = tf.tensor1d([3, 0]);
    const gb = tf.tensor1d([4]);
    // Global norm = 5; clipped gradients (0.6, 0, 0.8).
    const norm = opt.step({ [a.variable.name]: ga, [b.variable.name]: gb }, 0.1);
    expect(norm).to.be.closeTo(5, 1e-6);
    const ref = referenceAdamW([1, 1, 1], [[3, 0, 4]], [0.1], { beta1: 0.9, beta2: 0.95, eps: 1e-8, wd: 0, decay: false, clip: 1, norms: [5] });
    const got = [...a.variable.dataSync(), ...b.variable.dataSync()];
    got.forEach((x, i) => expect(x).to.be.closeTo(ref[i], 1e-6));
    // The first Adam step moves each parameter with a nonzero gradient by about lr.
    expect(got[0]).to.be.closeTo(0.9, 1e-5);
    expect(got[1]).to.equal(1);
    tf.dispose([ga, gb, a.variable, b.variable]);
    opt.dispose();
  });

  it('keeps the tensor count flat across steps', () => {
    const a: TrainableParam = { name: 'W', variable: tf.variable(tf.ones([4, 4])), decay: true };
    const opt = new AdamW([a], { ...options, gradClip: 0.5 });
    const g = tf.fill([4, 4], 0.3);
    opt.step({ [a.variable.name]: g }, 0.01);
    const before = tf.memory().numTensors;
    for (let i = 0; i < 5; i++) opt.step({ [a.variable.name]: g }, 0.01);
    expect(tf.memory().numTensors).to.equal(before);
    tf.dispose([g, a.variable]);
    opt.dispose();
  });

  it('complains about a missing gradient', () => {
    const a: TrainableParam = { name: 'W', variable: tf.variable(tf.ones([2])), decay: true };
    const opt = new AdamW([a], options);
    expect(() => opt.step({}, 0.1)).to.throw(/no gradient for W/);
    opt.dispose();
    a.variable.dispose();
  });
});
