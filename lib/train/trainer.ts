/**
 * One training run in memory: the model's parameters as tf.Variables, the optimiser, the data
 * stream and the held-out evaluation. `Trainer.update()` performs one AdamW step on batch
 * `step`; `evaluate()` measures the induction task at the current weights. The loop that saves
 * checkpoints and the log lives in train.ts.
 */
import * as tf from '@tensorflow/tfjs';
import type { NeoXConfig, StateDict } from '../model/types.js';
import { modelConfig, type TrainConfig } from './config.js';
import { SyntheticCorpus, mixSeed } from './data.js';
import { evaluateInduction, inductionPrompts, type InductionEvaluation } from './eval.js';
import { initStateDict } from './init.js';
import { AdamW } from './optimizer.js';
import { learningRate } from './schedule.js';
import type { TrainableModel, TrainableModelFactory } from './model.js';

/** Seed streams derived from the run seed (the data stream uses the seed itself). */
const INIT_STREAM = 0x696e6974; // 'init'

export type Evaluation = InductionEvaluation;

export class Trainer {
  readonly config: TrainConfig;
  readonly neox: NeoXConfig;
  readonly model: TrainableModel;
  readonly corpus: SyntheticCorpus;
  readonly optimizer: AdamW;
  readonly evalPrompts: number[][];
  /** Updates done: the weights are those of checkpoint `step`. */
  step = 0;

  constructor(config: TrainConfig, factory: TrainableModelFactory) {
    this.config = config;
    this.neox = modelConfig(config);
    this.model = factory(this.neox, initStateDict(this.neox, mixSeed(config.seed, INIT_STREAM)));
    this.corpus = new SyntheticCorpus(this.neox.vocabSize, config.data, config.seed);
    const { beta1, beta2, eps, weightDecay, gradClip } = config.optim;
    this.optimizer = new AdamW(this.model.params, { beta1, beta2, eps, weightDecay, gradClip });
    this.evalPrompts = inductionPrompts(this.neox.vocabSize, config.eval.spanLength, config.eval.prompts, config.eval.seed);
  }

  /** Learning rate of the update that follows the current step. */
  get nextLr(): number {
    const o = this.config.optim;
    return learningRate(this.step + 1, { lr: o.lr, warmupSteps: o.warmupSteps, totalSteps: this.config.steps, minLrRatio: o.minLrRatio });
  }

  /** Training batch of `step` as a [batch, seqLen] int32 tensor. */
  batchTensor(step: number): tf.Tensor2D {
    const { batchSize } = this.config.optim;
    return tf.tensor2d(this.corpus.batch(step, batchSize), [batchSize, this.config.data.seqLen], 'int32');
  }

  /** Mean next-token cross-entropy of a token batch under the current weights (a scalar). */
  lossOf(tokens: tf.Tensor2D): tf.Scalar {
    return tf.tidy(() => {
      const [b, t] = tokens.shape;
      const logits = this.model.forward(tokens).logits; // [b, t, vocab]
      const predicting = tf.slice(logits, [0, 0, 0], [b, t - 1, this.neox.vocabSize]); // [b, t-1, vocab]
      const targets = tf.slice(tokens, [0, 1], [b, t - 1]); // [b, t-1]
      return nextTokenCrossEntropy(predicting, targets, this.neox.vocabSize);
    });
  }

  /** One AdamW update on batch `step`; returns that batch's loss before the update. */
  update(): { loss: number; gradNorm: number; lr: number } {
    const lr = this.nextLr;
    const tokens = this.batchTensor(this.step);
    const vars = this.model.params.map((p) => p.variable);
    const { value, grads } = tf.variableGrads(() => this.lossOf(tokens), vars);
    const gradNorm = this.optimizer.step(grads, lr);
    const loss = value.dataSync()[0];
    tf.dispose([value, tokens, ...Object.values(grads)]);
    this.step += 1;
    return { loss, gradNorm, lr };
  }

  /** Loss of batch `step` at the current weights, without updating (used for the last step). */
  currentLoss(): number {
    const tokens = this.batchTensor(this.step);
    const loss = this.lossOf(tokens);
    const value = loss.dataSync()[0];
    tf.dispose([loss, tokens]);
    return value;
  }

  /** The induction task on the held-out prompts at the current weights. */
  evaluate(): Evaluation {
    const tokens = tf.tensor2d(this.evalPrompts, undefined, 'int32'); // [prompts, 1 + 2L]
    const { logits, patterns } = this.model.forward(tokens, { patterns: true });
    const logProbs = tf.tidy(() => tf.logSoftmax(logits)); // [prompts, 1 + 2L, vocab]
    const result = evaluateInduction(
      logProbs.dataSync() as Float32Array,
      patterns.map((p) => p.dataSync() as Float32Array),
      this.evalPrompts,
      { vocabSize: this.neox.vocabSize, heads: this.neox.numHeads },
      this.config.eval.spanLength,
    );
    tf.dispose([tokens, logits, logProbs, ...patterns]);
    return result;
  }

  /** Host copy of the current weights in HF names. */
  stateDict(): StateDict {
    return this.model.stateDict();
  }

  dispose(): void {
    this.optimizer.dispose();
    this.model.dispose();
  }
}

/**
 * Mean cross-entropy −log softmax(logits)[target] over all positions, with targets selected by a
 * one-hot mask (differentiable on every backend; gather's gradient is not needed).
 */
export function nextTokenCrossEntropy(logits: tf.Tensor, targets: tf.Tensor, vocabSize: number): tf.Scalar {
  return tf.tidy(() => {
    const logProbs = tf.logSoftmax(logits); // [..., vocab]
    const mask = tf.oneHot(tf.cast(targets, 'int32'), vocabSize); // [..., vocab]
    const picked = tf.sum(tf.mul(logProbs, tf.cast(mask, 'float32')), -1); // [...]
    return tf.neg(tf.mean(picked)) as tf.Scalar;
  });
}
