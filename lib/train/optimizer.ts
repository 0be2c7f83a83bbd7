/**
 * AdamW (Loshchilov & Hutter, "Decoupled Weight Decay Regularization", ICLR 2019) with
 * global-norm gradient clipping (Pascanu et al., 2013), written out in TF.js ops so that every
 * step is the same sequence of kernels on a given backend (bitwise reproducible).
 *
 * Update, per parameter p with gradient g (after clipping), at update t (1-based):
 *   p ← p − lr · wd · p                                  (decoupled decay; matrices only)
 *   m ← β1 m + (1 − β1) g,   v ← β2 v + (1 − β2) g²
 *   p ← p − lr · (m / (1 − β1^t)) / (√(v / (1 − β2^t)) + ε)
 * the form of PyTorch's torch.optim.AdamW.
 */
import * as tf from '@tensorflow/tfjs';

export interface AdamWOptions {
  beta1: number;
  beta2: number;
  eps: number;
  weightDecay: number;
  /** Clip the global gradient norm to this value (0 or Infinity: no clipping). */
  gradClip: number;
}

export interface TrainableParam {
  /** The parameter's stable name (HF state-dict name). */
  name: string;
  variable: tf.Variable;
  /** Whether weight decay applies to it. */
  decay: boolean;
}

export class AdamW {
  private readonly m: tf.Variable[];
  private readonly v: tf.Variable[];
  private t = 0;

  constructor(
    readonly params: TrainableParam[],
    readonly options: AdamWOptions,
  ) {
    this.m = params.map((p) => tf.variable(tf.zerosLike(p.variable), false));
    this.v = params.map((p) => tf.variable(tf.zerosLike(p.variable), false));
  }

  /** Updates done so far. */
  get updates(): number {
    return this.t;
  }

  /**
   * Apply one update from `grads` (keyed by each variable's TF.js name, as tf.variableGrads
   * returns them); the gradients are not disposed here. Returns the global gradient norm before
   * clipping.
   */
  step(grads: tf.NamedTensorMap, lr: number): number {
    this.t += 1;
    const { beta1, beta2, eps, weightDecay, gradClip } = this.options;
    const bc1 = 1 - beta1 ** this.t;
    const bc2 = 1 - beta2 ** this.t;
    const gs = this.params.map((p) => {
      const g = grads[p.variable.name];
      if (!g) throw new Error(`AdamW: no gradient for ${p.name}`);
      return g;
    });
    const norm = tf.tidy(() => tf.sqrt(tf.addN(gs.map((g) => tf.sum(tf.square(g))))));
    const normValue = norm.dataSync()[0];
    norm.dispose();
    // Clip scale as a host number: identical arithmetic on every backend.
    const scale = gradClip > 0 && Number.isFinite(gradClip) && normValue > gradClip ? gradClip / normValue : 1;
    tf.tidy(() => {
      this.params.forEach((p, i) => {
        const g = scale === 1 ? gs[i] : tf.mul(gs[i], scale);
        const m = tf.add(tf.mul(this.m[i], beta1), tf.mul(g, 1 - beta1));
        const v = tf.add(tf.mul(this.v[i], beta2), tf.mul(tf.square(g), 1 - beta2));
        this.m[i].assign(m);
        this.v[i].assign(v);
        const denom = tf.add(tf.sqrt(tf.div(v, bc2)), eps);
        const update = tf.mul(tf.div(m, denom), lr / bc1);
        const decayed = p.decay && weightDecay > 0 ? tf.mul(p.variable, 1 - lr * weightDecay) : p.variable;
        p.variable.assign(tf.sub(decayed, update));
      });
    });
    return normValue;
  }

  dispose(): void {
    for (const x of [...this.m, ...this.v]) x.dispose();
  }
}
