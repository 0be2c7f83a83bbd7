import * as tf from '@tensorflow/tfjs';
import { expect } from 'chai';
import path from 'node:path';
import { initBackend } from '../../lib/model/backend.js';
import { loadCheckpoint } from '../../lib/model/checkpoint.js';
import { NeoXModel } from '../../lib/model/neox.js';
import { floatToHalf, halfToFloat } from '../../lib/model/safetensors.js';
import type { StateDict } from '../../lib/model/types.js';
import { resolveTrainConfig, type TrainConfig } from '../../lib/train/config.js';
import { writeCheckpoint } from '../../lib/train/checkpoints.js';
import { initStateDict } from '../../lib/train/init.js';
import { expectedShapes } from '../../lib/model/checkpoint.js';
import { createTrainableModelFactory } from '../../lib/train/model.js';
import { nextTokenCrossEntropy, Trainer } from '../../lib/train/trainer.js';
import { tempDir, TINY_OVERRIDES } from './helpers.js';

before(async () => {
  await initBackend({ quiet: true });
});

function tinyTrainer(overrides: Record<string, unknown> = {}): Trainer {
  const config: TrainConfig = resolveTrainConfig({ ...TINY_OVERRIDES, ...overrides });
  return new Trainer(config, createTrainableModelFactory(config.embedding).factory);
}

function expectSameBits(a: StateDict, b: StateDict): void {
  expect([...a.keys()]).to.deep.equal([...b.keys()]);
  for (const [name, t] of a) {
    const u = b.get(name)!;
    expect(u.shape, name).to.deep.equal(t.shape);
    const x = new Uint32Array(t.data.buffer, t.data.byteOffset, t.data.length);
    const y = new Uint32Array(u.data.buffer, u.data.byteOffset, u.data.length);
    let differing = 0;
    for (let i = 0; i < x.length; i++) if (x[i] !== y[i]) differing++;
    expect(differing, `${name}: elements with other bits`).to.equal(0);
  }
}

describe('train/trainer', () => {
  it('initial weights follow the GPT-NeoX init (HF names, LN gains 1, biases 0, small-init stds)', () => {
    const config = tinyTrainer().neox;
    const sd = initStateDict(config, 5);
    expect([...sd.keys()]).to.deep.equal([...expectedShapes(config).keys()]);
    const std = (xs: Float32Array): number => Math.sqrt(xs.reduce((s, x) => s + x * x, 0) / xs.length);
    expect(std(sd.get('gpt_neox.embed_in.weight')!.data)).to.be.closeTo(Math.sqrt(2 / (5 * 16)), 0.03);
    // Wang init for the residual-writing projections: 2 / (L √d) = 2 / (2 · 4) = 0.25.
    expect(std(sd.get('gpt_neox.layers.1.mlp.dense_4h_to_h.weight')!.data)).to.be.closeTo(0.25, 0.04);
    for (const ln of ['gpt_neox.layers.0.input_layernorm', 'gpt_neox.layers.1.post_attention_layernorm', 'gpt_neox.final_layer_norm']) {
      expect([...sd.get(`${ln}.weight`)!.data].every((x) => x === 1), `${ln}.weight`).to.equal(true);
      expect([...sd.get(`${ln}.bias`)!.data].every((x) => x === 0), `${ln}.bias`).to.equal(true);
    }
    expect([...sd.get('gpt_neox.layers.0.attention.dense.bias')!.data].every((x) => x === 0)).to.equal(true);
  });

  it('trains the port\'s parameters, with weight decay on the matrices only', () => {
    const trainer = tinyTrainer();
    const decayed = trainer.model.params.filter((p) => p.decay).map((p) => p.name);
    expect(decayed).to.deep.equal([
      'W_E',
      ...[0, 1].flatMap((l) => ['W_Q', 'W_K', 'W_V', 'W_O'].map((w) => `blocks.${l}.attn.${w}`).concat([`blocks.${l}.mlp.W_in`, `blocks.${l}.mlp.W_out`])),
      'W_U',
    ]);
    const total = trainer.model.params.reduce((n, p) => n + p.variable.size, 0);
    // vocab 16, d 16, d_mlp 32, 2 layers: 2·16·16 (W_E, W_U) + 2·(4·16·16 + 4·16 + 2·16·32 + 32 + 16 + 4·16) + 2·16.
    expect(total).to.equal(512 + 2 * (1024 + 64 + 1024 + 48 + 64) + 32);
    trainer.dispose();
  });

  it('cross-entropy helper equals −log softmax at the target', () => {
    const logits = tf.tensor3d([[[1, 2, 3], [0, 0, 0]]]);
    const targets = tf.tensor2d([[2, 0]], undefined, 'int32');
    const ce = nextTokenCrossEntropy(logits, targets, 3);
    const lse = Math.log(Math.exp(1) + Math.exp(2) + Math.exp(3));
    expect(ce.dataSync()[0]).to.be.closeTo(((lse - 3) + Math.log(3)) / 2, 1e-6);
    tf.dispose([logits, targets, ce]);
  });

  it('the gradient of the training loss agrees with a finite difference of the forward', () => {
    const trainer = tinyTrainer();
    const tokens = trainer.batchTensor(0);
    const vars = trainer.model.params.map((p) => p.variable);
    const { value, grads } = tf.variableGrads(() => trainer.lossOf(tokens), vars);
    // Random direction d over every parameter: (L(θ + h d) − L(θ − h d)) / 2h ≈ ∇L · d.
    const dirs = vars.map((v, i) => tf.randomNormal(v.shape, 0, 1, 'float32', 100 + i));
    const predicted = tf.tidy(() => tf.addN(vars.map((v, i) => tf.sum(tf.mul(grads[v.name], dirs[i])))).dataSync()[0]);
    // h small enough for the central difference's O(h²) error: with LayerNorm gains 1 the loss is
    // curved enough that h = 1e-2 is off by 30% (float32 noise at 1e-3 is about 3e-4).
    const h = 1e-3;
    const lossAt = (sign: number): number => {
      const saved = vars.map((v) => v.clone());
      vars.forEach((v, i) => v.assign(tf.tidy(() => tf.add(saved[i], tf.mul(dirs[i], sign * h)))));
      const l = trainer.lossOf(tokens);
      const out = l.dataSync()[0];
      l.dispose();
      vars.forEach((v, i) => v.assign(saved[i]));
      tf.dispose(saved);
      return out;
    };
    const numeric = (lossAt(1) - lossAt(-1)) / (2 * h);
    expect(Math.abs(predicted)).to.be.greaterThan(1e-3);
    expect(numeric).to.be.closeTo(predicted, 0.02 * Math.abs(predicted) + 1e-3);
    tf.dispose([value, tokens, ...dirs, ...Object.values(grads)]);
    trainer.dispose();
  });

  it('updates lower the loss on held-out data and keep the tensor count flat', () => {
    const trainer = tinyTrainer({ optim: { batchSize: 4, lr: 0.01, warmupSteps: 0 }, steps: 40 });
    const heldOut = trainer.batchTensor(10_000); // a batch the 40 updates never see
    const heldOutLoss = (): number => {
      const l = trainer.lossOf(heldOut);
      const v = l.dataSync()[0];
      l.dispose();
      return v;
    };
    const initial = heldOutLoss();
    trainer.update();
    const before = tf.memory().numTensors;
    for (let i = 0; i < 39; i++) trainer.update();
    expect(tf.memory().numTensors).to.equal(before);
    const final = heldOutLoss();
    // A fresh model predicts nearly uniformly: its logits are W_U·LN(x) with unit-variance LN
    // output and W_U ~ N(0, 2/(5d)), so they have variance σ² = d·2/(5d) = 0.4 and the expected
    // loss is about ln 16 + σ²/2 = 2.97 (uniform: 2.77). Learning the 3-successor chain cuts it.
    expect(initial).to.be.closeTo(Math.log(16) + 0.4 / 2, 0.15);
    expect(final).to.be.below(initial - 0.2);
    expect(trainer.step).to.equal(40);
    heldOut.dispose();
    trainer.dispose();
  });

  it('the same seed gives bitwise identical weights; another seed does not', () => {
    const run = (seed: number): StateDict => {
      const t = tinyTrainer({ seed });
      for (let i = 0; i < 3; i++) t.update();
      const sd = t.stateDict();
      t.dispose();
      return sd;
    };
    const a = run(7);
    expectSameBits(a, run(7));
    expect([...run(8).get('gpt_neox.embed_in.weight')!.data]).to.not.deep.equal([...a.get('gpt_neox.embed_in.weight')!.data]);
  });

  it('evaluate() scores the held-out induction prompts and disposes everything', () => {
    const trainer = tinyTrainer();
    trainer.evaluate();
    const before = tf.memory().numTensors;
    const e = trainer.evaluate();
    expect(tf.memory().numTensors).to.equal(before);
    expect(e.scores).to.have.length(2);
    expect(e.scores[0]).to.have.length(2);
    // Near-uniform attention at init: about 1/(q+1) for q = 5 … 8.
    expect(e.bestScore).to.be.within(0.05, 0.4);
    expect(e.repeatedHalfLoss).to.be.closeTo(Math.log(16), 0.3);
    expect(e.bestHead).to.match(/^L[01]H[01]$/);
    trainer.dispose();
  });

  describe('saved checkpoints', () => {
    let trainer: Trainer;
    let tmp: { dir: string; cleanup: () => void };
    before(() => {
      trainer = tinyTrainer();
      for (let i = 0; i < 2; i++) trainer.update();
      tmp = tempDir('trainer-ckpt');
    });
    after(() => {
      trainer.dispose();
      tmp.cleanup();
    });

    it('reload through the normal loader to exactly the trained tensors (F32)', async () => {
      const dir = await writeCheckpoint(tmp.dir, 2, trainer.neox, trainer.stateDict(), 'F32');
      const loaded = await loadCheckpoint(dir);
      expect(loaded.config).to.deep.equal(trainer.neox);
      expectSameBits(trainer.stateDict(), loaded.stateDict);
    });

    it('store F16 as the round-to-nearest half of every trained value', async () => {
      const f16 = path.join(tmp.dir, 'f16');
      const dir = await writeCheckpoint(f16, 2, trainer.neox, trainer.stateDict(), 'F16');
      const loaded = await loadCheckpoint(dir);
      for (const [name, t] of trainer.stateDict()) {
        const got = loaded.stateDict.get(name)!.data;
        const bad = [...t.data].findIndex((x, i) => halfToFloat(floatToHalf(x)) !== got[i]);
        expect(bad, name).to.equal(-1);
      }
    });

    it('give, through the port loading them, the logits the training code computed (within 1e-5)', async () => {
      const dir = await writeCheckpoint(tmp.dir, 2, trainer.neox, trainer.stateDict(), 'F32');
      const model = await NeoXModel.load(dir);
      const tokens = trainer.batchTensor(11);
      const trained = trainer.model.forward(tokens).logits;
      const loaded = model.run(tokens).logits!;
      const diff = tf.tidy(() => tf.max(tf.abs(tf.sub(trained, loaded))).dataSync()[0]);
      expect(diff).to.be.at.most(1e-5);
      tf.dispose([tokens, trained, loaded]);
      model.dispose();
    });
  });
});
