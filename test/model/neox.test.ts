import * as tf from '@tensorflow/tfjs';
import { expect } from 'chai';
import path from 'node:path';
import { parseAblationNames } from '../../lib/model/ablation-names.js';
import { initBackend } from '../../lib/model/backend.js';
import { loadCheckpoint } from '../../lib/model/checkpoint.js';
import { NeoXModel, runNeoX } from '../../lib/model/neox.js';
import type { NeoXRunOptions } from '../../lib/model/neox.js';
import { channelBatchMatMul, gatherRows, gelu, linear } from '../../lib/model/ops.js';
import { initStateDict } from '../../lib/model/init.js';
import { mapParams, namedParams, paramsFromStateDict, stateDictFromParams, validateStateDict } from '../../lib/model/params.js';
import type { NeoXParams } from '../../lib/model/params.js';
import type { RunResult } from '../../lib/model/types.js';
import { CntlensError } from '../../lib/util/errors.js';
import { expectClose, FIXTURES, goldenArray, readGolden, stackHost } from './neox-golden.js';
import { hostLayerNorm, randomStateDict, randomTokens, tinyConfig } from './neox-random.js';

before(async () => {
  await initBackend({ quiet: true });
});

function disposeResult(r: RunResult): void {
  if (r.logits) r.logits.dispose();
  for (const t of r.cache.values()) t.dispose();
}

const LAYERS = [0, 1, 2];
const CAPTURED = [
  'hook_embed',
  'ln_final.hook_normalized',
  ...LAYERS.flatMap((l) => ['hook_resid_post', 'hook_attn_out', 'hook_mlp_out', 'attn.hook_result', 'attn.hook_pattern'].map((p) => `blocks.${l}.${p}`)),
];

/** Fixture folders and the golden each must reproduce. */
const SETS: { folder: string; golden: string; attention: NeoXRunOptions['attention'] }[] = [
  { folder: 'neox-tiny', golden: 'neox-tiny', attention: 'conv' },
  { folder: 'neox-tiny', golden: 'neox-tiny', attention: 'matmul' },
  { folder: 'neox-tiny-f16', golden: 'neox-tiny-f16', attention: 'conv' },
  { folder: 'neox-tiny-f16', golden: 'neox-tiny-f16', attention: 'matmul' },
  { folder: 'neox-tiny-bin', golden: 'neox-tiny', attention: 'auto' },
  { folder: 'neox-tiny-f16-bin', golden: 'neox-tiny-f16', attention: 'auto' },
];

for (const set of SETS) {
  describe(`GPT-NeoX forward vs Hugging Face: ${set.folder} (attention ${set.attention})`, () => {
    const g = readGolden(set.golden);
    let model: NeoXModel;
    let run: RunResult;
    before(async () => {
      model = await NeoXModel.load(path.join(FIXTURES, set.folder));
      run = model.run(g.inputIds, { capture: CAPTURED, attention: set.attention, logits: g.logitsPositions });
    });
    after(() => {
      disposeResult(run);
      model?.dispose();
    });
    const cached = (name: string): tf.Tensor => {
      const t = run.cache.get(name);
      if (!t) throw new Error(`not captured: ${name}`);
      return t;
    };

    it('logits', () => {
      expectClose(run.logits!, goldenArray(g, 'logits'), 'logits');
    });

    it('embedding, residual stream per layer, final LayerNorm', () => {
      expectClose(cached('hook_embed'), goldenArray(g, 'embed'), 'embed');
      expectClose(stackHost(LAYERS.map((l) => cached(`blocks.${l}.hook_resid_post`))).data, goldenArray(g, 'resid_post'), 'resid_post');
      expectClose(cached('ln_final.hook_normalized'), goldenArray(g, 'final_ln_out'), 'final_ln_out');
    });

    it('attention output and MLP output per layer', () => {
      expectClose(stackHost(LAYERS.map((l) => cached(`blocks.${l}.hook_attn_out`))).data, goldenArray(g, 'attn_out'), 'attn_out');
      expectClose(stackHost(LAYERS.map((l) => cached(`blocks.${l}.hook_mlp_out`))).data, goldenArray(g, 'mlp_out'), 'mlp_out');
    });

    it('every head output (hook_result)', () => {
      const got = stackHost(LAYERS.map((l) => cached(`blocks.${l}.attn.hook_result`)));
      expect(got.shape).to.deep.equal(goldenArray(g, 'head_out').shape);
      expectClose(got.data, goldenArray(g, 'head_out'), 'head_out');
    });

    it('attention patterns, exactly 0 above the diagonal', () => {
      const got = stackHost(LAYERS.map((l) => cached(`blocks.${l}.attn.hook_pattern`)));
      const want = goldenArray(g, 'attn_pattern');
      expect(got.shape).to.deep.equal(want.shape);
      expectClose(got.data, want, 'attn_pattern');
      const p = want.shape[4];
      let aboveNonZero = 0;
      for (let i = 0; i < got.data.length; i++) {
        const key = i % p;
        const query = Math.floor(i / p) % p;
        if (key > query && got.data[i] !== 0) aboveNonZero++;
      }
      expect(aboveNonZero).to.equal(0);
    });

    it('every listed ablation: logits and last residual', () => {
      expect(g.ablations.length).to.be.greaterThan(0);
      const last = `blocks.${model.config.numLayers - 1}.hook_resid_post`;
      for (const ab of g.ablations) {
        const r = model.run(g.inputIds, {
          patches: parseAblationNames(ab.name, model.config),
          capture: [last],
          logits: ab.logitsPositions,
          attention: set.attention,
        });
        try {
          expectClose(r.logits!, goldenArray(g, `ablation.${ab.name}.logits`), `${ab.name} logits`);
          expectClose(r.cache.get(last)!, goldenArray(g, `ablation.${ab.name}.resid_final`), `${ab.name} resid_final`);
        } finally {
          disposeResult(r);
        }
      }
    });
  });
}

describe('GPT-NeoX parameters', () => {
  it('stateDictFromParams inverts paramsFromStateDict bit for bit, in HF order', () => {
    const { config, stateDict } = loadCheckpoint(path.join(FIXTURES, 'neox-tiny'));
    const params = paramsFromStateDict(config, stateDict);
    const back = stateDictFromParams(config, params);
    tf.dispose(namedParams(params).map(([, t]) => t));
    expect([...back.keys()]).to.deep.equal([...stateDict.keys()]);
    for (const [name, t] of stateDict) {
      const b = back.get(name)!;
      expect(b.shape, name).to.deep.equal(t.shape);
      expect(Buffer.from(b.data.buffer, b.data.byteOffset, b.data.byteLength).equals(Buffer.from(t.data.buffer, t.data.byteOffset, t.data.byteLength)), name).to.equal(true);
    }
  });

  it('W_Q, W_K, W_V take their columns from HF\'s per-head interleaved QKV rows', () => {
    const { config, stateDict } = loadCheckpoint(path.join(FIXTURES, 'neox-tiny'));
    const params = paramsFromStateDict(config, stateDict);
    try {
      const { hiddenSize: d, headSize: dh } = config;
      const hf = stateDict.get('gpt_neox.layers.1.attention.query_key_value.weight')!.data; // [3d, d]
      const hfBias = stateDict.get('gpt_neox.layers.1.attention.query_key_value.bias')!.data;
      const parts = [params.blocks[1].W_Q, params.blocks[1].W_K, params.blocks[1].W_V].map((t) => t.dataSync()); // [d, d]
      const biases = [params.blocks[1].b_Q, params.blocks[1].b_K, params.blocks[1].b_V].map((t) => t.dataSync());
      // Head 2, dim 5 of part t: HF row 2·3·dh + t·dh + 5; our column 2·dh + 5.
      for (const t of [0, 1, 2]) {
        const hfRow = 2 * 3 * dh + t * dh + 5;
        const col = 2 * dh + 5;
        for (const c of [0, 7, d - 1]) expect(parts[t][c * d + col], `part ${t}, input ${c}`).to.equal(hf[hfRow * d + c]);
        expect(biases[t][col]).to.equal(hfBias[hfRow]);
      }
      // W_O is dense.weight transposed: W_O[in, out] = dense[out, in].
      const dense = stateDict.get('gpt_neox.layers.1.attention.dense.weight')!.data;
      expect(params.blocks[1].W_O.dataSync()[3 * d + 9]).to.equal(dense[9 * d + 3]);
    } finally {
      tf.dispose(namedParams(params).map(([, t]) => t));
    }
  });

  it('refuses a state dict with a missing or misshapen tensor, naming it', () => {
    const config = tinyConfig();
    const sd = randomStateDict(config, 1);
    const missing = new Map(sd);
    missing.delete('gpt_neox.layers.1.mlp.dense_4h_to_h.bias');
    const before = tf.memory().numTensors;
    expect(() => paramsFromStateDict(config, missing, 'ckpt')).to.throw(CntlensError, /ckpt: missing tensor "gpt_neox.layers.1.mlp.dense_4h_to_h.bias"/);
    expect(tf.memory().numTensors).to.equal(before);
    const wrong = new Map(sd);
    wrong.set('embed_out.weight', { shape: [16, 23], data: new Float32Array(16 * 23) });
    expect(() => paramsFromStateDict(config, wrong, 'ckpt')).to.throw(/"embed_out.weight" has shape \[16,23\], the config implies \[23,16\]/);
  });

  it('namedParams / mapParams cover every tensor with TransformerLens names', () => {
    const config = tinyConfig();
    const params = paramsFromStateDict(config, randomStateDict(config, 2));
    const names = namedParams(params).map(([n]) => n);
    expect(names.length).to.equal(2 + 16 * config.numLayers + 2);
    expect(names).to.include.members(['W_E', 'W_U', 'blocks.1.attn.W_K', 'blocks.0.mlp.b_out', 'ln_final.w', 'blocks.1.ln2.b']);
    const copy = mapParams(params, (_n, t) => t.clone());
    expect(namedParams(copy).map(([n, t]) => [n, t.shape])).to.deep.equal(namedParams(params).map(([n, t]) => [n, t.shape]));
    tf.dispose([...namedParams(params), ...namedParams(copy)].map(([, t]) => t));
  });

  it('initStateDict: HF-style init, complete, reproducible from the seed', () => {
    const config = tinyConfig({ vocab_size: 301, hidden_size: 32, intermediate_size: 128 });
    const a = initStateDict(config, { seed: 5 });
    validateStateDict(config, a);
    expect([...a.keys()]).to.deep.equal([...stateDictFromParamsKeys(config)]);
    expect(Array.from(initStateDict(config, { seed: 5 }).get('embed_out.weight')!.data)).to.deep.equal(Array.from(a.get('embed_out.weight')!.data));
    expect(a.get('gpt_neox.layers.1.post_attention_layernorm.weight')!.data.every((x) => x === 1)).to.equal(true);
    expect(a.get('gpt_neox.layers.0.mlp.dense_h_to_4h.bias')!.data.every((x) => x === 0)).to.equal(true);
    const w = a.get('gpt_neox.embed_in.weight')!.data;
    const std = Math.sqrt(w.reduce((s, x) => s + x * x, 0) / w.length);
    expect(std).to.be.closeTo(0.02, 0.001);
  });
});

/** HF state_dict() key order, via a round trip through params. */
function stateDictFromParamsKeys(config: ReturnType<typeof tinyConfig>): string[] {
  const params = paramsFromStateDict(config, randomStateDict(config, 3));
  const keys = [...stateDictFromParams(config, params).keys()];
  tf.dispose(namedParams(params).map(([, t]) => t));
  return keys;
}

describe('GPT-NeoX residual styles (random tiny models)', () => {
  for (const parallel of [false, true]) {
    it(`${parallel ? 'parallel' : 'sequential'}: resid_post = resid_pre + attn_out + mlp_out, MLP reads ln2(${parallel ? 'resid_pre' : 'resid_pre + attn_out'})`, () => {
      const config = tinyConfig({ use_parallel_residual: parallel });
      const sd = randomStateDict(config, 11);
      const model = NeoXModel.fromStateDict(config, sd);
      const l = 1;
      const hook = (p: string) => `blocks.${l}.${p}`;
      const r = model.run(randomTokens(config, 2, 7, 5), {
        capture: ['hook_resid_pre', 'hook_attn_out', 'hook_mlp_out', 'hook_resid_post', 'ln2.hook_normalized', 'mlp.hook_pre'].map(hook),
        logits: 'none',
      });
      try {
        const d = config.hiddenSize;
        const pre = r.cache.get(hook('hook_resid_pre'))!.dataSync();
        const attn = r.cache.get(hook('hook_attn_out'))!.dataSync();
        const mlpOut = r.cache.get(hook('hook_mlp_out'))!.dataSync();
        const post = r.cache.get(hook('hook_resid_post'))!;
        const sum = pre.map((x, i) => x + attn[i] + mlpOut[i]);
        expectClose(post.dataSync(), { shape: post.shape, data: sum }, 'resid_post', 1e-5, 1e-5);

        const lnIn = parallel ? Float64Array.from(pre) : Float64Array.from(pre, (x, i) => x + attn[i]);
        const p2 = `gpt_neox.layers.${l}.post_attention_layernorm`;
        const ln2 = hostLayerNorm(lnIn, d, sd.get(`${p2}.weight`)!.data, sd.get(`${p2}.bias`)!.data, config.layerNormEps);
        const h2 = r.cache.get(hook('ln2.hook_normalized'))!;
        expectClose(h2.dataSync(), { shape: h2.shape, data: ln2 }, 'ln2 output', 1e-5, 1e-5);

        // mlp.hook_pre = ln2 · dense_h_to_4hᵀ + bias, from the HF weights on the host.
        const m = config.intermediateSize;
        const W = sd.get(`gpt_neox.layers.${l}.mlp.dense_h_to_4h.weight`)!.data; // [m, d]
        const bias = sd.get(`gpt_neox.layers.${l}.mlp.dense_h_to_4h.bias`)!.data;
        const want = new Float64Array((ln2.length / d) * m);
        for (let row = 0; row < ln2.length / d; row++) {
          for (let j = 0; j < m; j++) {
            let s = bias[j];
            for (let i = 0; i < d; i++) s += ln2[row * d + i] * W[j * d + i];
            want[row * m + j] = s;
          }
        }
        const preAct = r.cache.get(hook('mlp.hook_pre'))!;
        expectClose(preAct.dataSync(), { shape: preAct.shape, data: want }, 'mlp.hook_pre', 1e-4, 1e-4);
      } finally {
        disposeResult(r);
        model.dispose();
      }
    });
  }

  it('sequential and parallel models with the same weights differ (the switch is honoured)', () => {
    const tokens = randomTokens(tinyConfig(), 1, 6, 3);
    const logits = [false, true].map((parallel) => {
      const config = tinyConfig({ use_parallel_residual: parallel });
      const model = NeoXModel.fromStateDict(config, randomStateDict(config, 11));
      const r = model.run(tokens);
      const data = r.logits!.dataSync().slice();
      disposeResult(r);
      model.dispose();
      return data;
    });
    const maxDiff = Math.max(...logits[0].map((x, i) => Math.abs(x - logits[1][i])));
    expect(maxDiff).to.be.greaterThan(1e-2);
  });

  it('tied embeddings: logits = ln_final(x) W_Eᵀ', () => {
    const config = tinyConfig({ tie_word_embeddings: true });
    const sd = randomStateDict(config, 12);
    expect(sd.has('embed_out.weight')).to.equal(false);
    const model = NeoXModel.fromStateDict(config, sd);
    const r = model.run(randomTokens(config, 1, 5, 4), { capture: ['ln_final.hook_normalized'] });
    try {
      const x = r.cache.get('ln_final.hook_normalized')!.dataSync();
      const E = sd.get('gpt_neox.embed_in.weight')!.data; // [V, d]
      const { vocabSize: V, hiddenSize: d } = config;
      const want = new Float64Array((x.length / d) * V);
      for (let row = 0; row < x.length / d; row++) {
        for (let v = 0; v < V; v++) {
          let s = 0;
          for (let i = 0; i < d; i++) s += x[row * d + i] * E[v * d + i];
          want[row * V + v] = s;
        }
      }
      expectClose(r.logits!, { shape: [1, 5, V], data: want }, 'tied logits', 1e-4, 1e-4);
      expect([...model.toStateDict().keys()]).to.not.include('embed_out.weight');
    } finally {
      disposeResult(r);
      model.dispose();
    }
  });
});

describe('GPT-NeoX inputs and logits option', () => {
  const config = tinyConfig();
  let model: NeoXModel;
  before(() => {
    model = NeoXModel.fromStateDict(config, randomStateDict(config, 21));
  });
  after(() => model.dispose());

  it('refuses bad token lists with a clear message', () => {
    const cases: [unknown, RegExp][] = [
      [[], /non-empty list/],
      [[[1, 2], [3]], /rows differ in length \(row 0 has 2 ids, row 1 has 1\)/],
      [[[1, 23]], /token 23 at row 0, position 1 is not an integer id in \[0, 23\)/],
      [[[1, -1]], /token -1/],
      [[[1, 2.5]], /token 2.5/],
      [[['a']], /token "a"/],
      [[[]], /row 0 is empty/],
      [[Array(17).fill(0)], /17 tokens, more than max_position_embeddings \(16\)/],
    ];
    for (const [tokens, re] of cases) expect(() => model.run(tokens as number[][]), JSON.stringify(tokens)).to.throw(CntlensError, re);
    const floatIds = tf.tensor2d([[1, 2]]);
    expect(() => model.run(floatIds as tf.Tensor2D)).to.throw(/int32 tensor/);
    floatIds.dispose();
    const outOfRange = tf.tensor2d([[1, 99]], [1, 2], 'int32');
    expect(() => model.run(outOfRange)).to.throw(/token 99 at row 0, position 1/);
    outOfRange.dispose();
  });

  it('accepts an int32 tensor like the same number[][]', () => {
    const tokens = randomTokens(config, 2, 5, 8);
    const t = tf.tensor2d(tokens, [2, 5], 'int32');
    const a = model.run(tokens);
    const b = model.run(t);
    expect(Array.from(b.logits!.dataSync())).to.deep.equal(Array.from(a.logits!.dataSync()));
    t.dispose();
    disposeResult(a);
    disposeResult(b);
  });

  it("logits: positions select rows of 'all'; 'none' returns no logits", () => {
    const tokens = randomTokens(config, 2, 6, 9);
    const all = model.run(tokens);
    const some = model.run(tokens, { logits: [5, 0, 3] });
    const none = model.run(tokens, { logits: 'none' });
    try {
      expect(some.logits!.shape).to.deep.equal([2, 3, config.vocabSize]);
      const a = all.logits!.arraySync() as number[][][];
      const s = some.logits!.arraySync() as number[][][];
      for (let b = 0; b < 2; b++) [5, 0, 3].forEach((p, i) => expect(s[b][i]).to.deep.equal(a[b][p]));
      expect(none.logits).to.equal(undefined);
      expect(() => model.run(tokens, { logits: [6] })).to.throw(/position 6 out of range \[0, 6\)/);
    } finally {
      [all, some, none].forEach(disposeResult);
    }
  });

  it("'gather' and 'onehot' embeddings agree", () => {
    const tokens = randomTokens(config, 2, 4, 10);
    const a = model.run(tokens, { embedding: 'gather' });
    const b = model.run(tokens, { embedding: 'onehot' });
    expectClose(b.logits!, { shape: a.logits!.shape, data: a.logits!.dataSync() }, 'onehot vs gather', 1e-5, 1e-5);
    disposeResult(a);
    disposeResult(b);
  });
});

/** erf in float64: Maclaurin series for |x| < 2.5, else the continued fraction of erfc. */
function erf64(x: number): number {
  const ax = Math.abs(x);
  if (ax < 2.5) {
    let term = x;
    let sum = x;
    for (let n = 1; n < 200 && Math.abs(term) > 1e-17; n++) {
      term *= (-x * x) / n;
      sum += term / (2 * n + 1);
    }
    return (2 / Math.sqrt(Math.PI)) * sum;
  }
  let f = ax;
  for (let n = 80; n >= 1; n--) f = ax + n / 2 / f;
  const erfc = Math.exp(-ax * ax) / Math.sqrt(Math.PI) / f;
  return Math.sign(x) * (1 - erfc);
}

describe('GELU (erf form)', () => {
  it('is within 6e-7 of x·½(1 + erf(x/√2)) computed in float64, on [-10, 10]', () => {
    const xs = Float32Array.from({ length: 4001 }, (_, i) => -10 + i / 200);
    const got = tf.tidy(() => gelu(tf.tensor1d(xs)).dataSync());
    let worst = 0;
    xs.forEach((x, i) => {
      worst = Math.max(worst, Math.abs(got[i] - x * 0.5 * (1 + erf64(x / Math.SQRT2))));
    });
    expect(worst).to.be.lessThan(6e-7);
    // The reference itself: erf(1) and the tail.
    expect(erf64(1)).to.be.closeTo(0.8427007929497149, 1e-15);
    expect(1 - erf64(3)).to.be.closeTo(2.209049699858544e-5, 1e-15);
  });

  it('has the exact derivative Φ(x) + x·φ(x), also at 0', () => {
    const x = tf.tensor1d([-6, -2.5, -1, -0.3, 0, 0.3, 1, 2.5, 6]);
    const g = tf.grad((t: tf.Tensor) => tf.sum(gelu(t)))(x);
    const want = Array.from(x.dataSync(), (v) => 0.5 * (1 + erf64(v / Math.SQRT2)) + (v * Math.exp((-v * v) / 2)) / Math.sqrt(2 * Math.PI));
    expectClose(g, { shape: [9], data: want }, 'gelu gradient', 1e-6, 1e-6);
    tf.dispose([x, g]);
  });
});

describe('GPT-NeoX gradients', () => {
  const rng = (seed: number, shape: number[]) => tf.randomNormal(shape, 0, 1, 'float32', seed);

  it('linear: value and gradients equal tf.matMul + add', () => {
    const [x, W, b, R] = [rng(1, [5, 3]), rng(2, [3, 4]), rng(3, [4]), rng(4, [5, 4])];
    const ours = tf.grads((x: tf.Tensor, W: tf.Tensor, b: tf.Tensor) => tf.sum(tf.mul(linear(x as tf.Tensor2D, W as tf.Tensor2D, b as tf.Tensor1D), R)))([x, W, b]);
    const ref = tf.grads((x: tf.Tensor, W: tf.Tensor, b: tf.Tensor) => tf.sum(tf.mul(tf.add(tf.matMul(x, W), b), R)))([x, W, b]);
    ours.forEach((g, i) => expectClose(g, { shape: ref[i].shape, data: ref[i].dataSync() }, `grad ${i}`, 1e-5, 1e-5));
    tf.dispose([x, W, b, R, ...ours, ...ref]);
  });

  it('channelBatchMatMul: value and gradients equal a batched tf.matMul', () => {
    const [a, b] = [rng(5, [4, 3, 6]), rng(6, [3, 6, 5])]; // a [m, k, c], b [k, c, l]
    const R = rng(7, [4, 6, 5]);
    const viaMatMul = (a: tf.Tensor, b: tf.Tensor) => tf.transpose(tf.matMul(tf.transpose(a, [2, 0, 1]), tf.transpose(b, [1, 0, 2])), [1, 0, 2]); // [m, c, l]
    const value = channelBatchMatMul(a as tf.Tensor3D, b as tf.Tensor3D);
    const refValue = viaMatMul(a, b);
    expectClose(value, { shape: refValue.shape, data: refValue.dataSync() }, 'value', 1e-5, 1e-5);
    const ours = tf.grads((a: tf.Tensor, b: tf.Tensor) => tf.sum(tf.mul(channelBatchMatMul(a as tf.Tensor3D, b as tf.Tensor3D), R)))([a, b]);
    const ref = tf.grads((a: tf.Tensor, b: tf.Tensor) => tf.sum(tf.mul(viaMatMul(a, b), R)))([a, b]);
    ours.forEach((g, i) => expectClose(g, { shape: ref[i].shape, data: ref[i].dataSync() }, `grad ${i}`, 1e-5, 1e-5));
    tf.dispose([a, b, R, value, refValue, ...ours, ...ref]);
  });

  it('gatherRows: rows and a scatter-add gradient (repeated ids summed)', () => {
    const table = rng(8, [6, 3]);
    const ids = tf.tensor1d([4, 1, 4, 0], 'int32');
    const R = rng(9, [4, 3]);
    const ours = tf.grad((t: tf.Tensor) => tf.sum(tf.mul(gatherRows(t, ids), R)))(table);
    const ref = tf.grad((t: tf.Tensor) => tf.sum(tf.mul(tf.matMul(tf.oneHot(ids, 6).toFloat(), t), R)))(table);
    expectClose(ours, { shape: ref.shape, data: ref.dataSync() }, 'table grad', 1e-6, 1e-6);
    tf.dispose([table, ids, R, ours, ref]);
  });

  it('the plain forward runs inside tf.variableGrads; conv and matmul attention give the same gradients', () => {
    const config = tinyConfig();
    const base = paramsFromStateDict(config, randomStateDict(config, 31));
    const vars = mapParams(base, (_n, t) => tf.variable(t));
    const tokens = randomTokens(config, 2, 6, 32);
    const R = rng(33, [2, 6, config.vocabSize]);
    const gradsFor = (opts: NeoXRunOptions): Map<string, Float32Array> => {
      const lossFn = () => tf.tidy(() => {
        const { logits } = runNeoX(config, vars, tokens, opts);
        return tf.sum(tf.mul(logits!, R)) as tf.Scalar;
      });
      const varList = namedParams(vars).map(([, t]) => t as tf.Variable);
      const { value, grads } = tf.variableGrads(lossFn, varList);
      const out = new Map(namedParams(vars).map(([name, v]) => [name, grads[(v as tf.Variable).name].dataSync() as Float32Array]));
      tf.dispose([value, ...Object.values(grads)]);
      return out;
    };
    const before = tf.memory().numTensors;
    const conv = gradsFor({ attention: 'conv', embedding: 'gather' });
    const mm = gradsFor({ attention: 'matmul', embedding: 'onehot' });
    expect(tf.memory().numTensors).to.equal(before);
    expect(conv.size).to.equal(namedParams(vars).length);
    for (const [name, g] of conv) {
      expect(g.every(Number.isFinite), name).to.equal(true);
      expect(g.some((x) => x !== 0), `${name} has a zero gradient`).to.equal(true);
      expectClose(g, { shape: [g.length], data: mm.get(name)! }, `grad ${name}`, 1e-4, 1e-4);
    }
    tf.dispose([R, ...namedParams(vars).map(([, t]) => t), ...namedParams(base).map(([, t]) => t)]);
  });

  it('gradient agrees with a finite difference', () => {
    const config = tinyConfig();
    const base = paramsFromStateDict(config, randomStateDict(config, 41));
    const tokens = randomTokens(config, 1, 5, 42);
    const loss = (p: NeoXParams): number => tf.tidy(() => {
      const { logits } = runNeoX(config, p, tokens);
      return tf.sum(tf.square(logits!)).dataSync()[0];
    });
    const W = base.blocks[0].W_K;
    const g = tf.grad((w: tf.Tensor) => {
      const p = { ...base, blocks: [{ ...base.blocks[0], W_K: w as tf.Tensor2D }, base.blocks[1]] };
      return tf.sum(tf.square(runNeoX(config, p, tokens).logits!));
    })(W);
    const gData = g.dataSync();
    const wData = W.dataSync();
    const d = config.hiddenSize;
    // Key columns 1, 0 (head 0) and 8 (head 1, dim 0) rotate; column 5 (head 0, dim 5) does not.
    for (const idx of [2 * d + 1, 5 * d + 8, 7 * d + 5, 9 * d]) {
      const eps = 1e-2;
      const shifted = (delta: number) => {
        const data = wData.slice();
        data[idx] += delta;
        const w = tf.tensor2d(data, W.shape);
        const value = loss({ ...base, blocks: [{ ...base.blocks[0], W_K: w }, base.blocks[1]] });
        w.dispose();
        return value;
      };
      const numeric = (shifted(eps) - shifted(-eps)) / (2 * eps);
      expect(gData[idx], `d loss / d W_K[${idx}]`).to.be.closeTo(numeric, 2e-2 * Math.max(1, Math.abs(numeric)));
    }
    tf.dispose([g, ...namedParams(base).map(([, t]) => t)]);
  });
});
