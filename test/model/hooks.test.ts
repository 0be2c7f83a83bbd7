import * as tf from '@tensorflow/tfjs';
import { expect } from 'chai';
import path from 'node:path';
import { ablationPatch, parseAblationComponents, parseAblationNames } from '../../lib/model/ablation-names.js';
import { initBackend } from '../../lib/model/backend.js';
import { hookNames } from '../../lib/model/hooks.js';
import { NeoXModel } from '../../lib/model/neox.js';
import type { Patch, RunResult } from '../../lib/model/types.js';
import { OptionError } from '../../lib/util/errors.js';
import { expectClose, FIXTURES, goldenArray, readGolden } from './neox-golden.js';
import { randomStateDict, randomTokens, tinyConfig } from './neox-random.js';

before(async () => {
  await initBackend({ quiet: true });
});

function disposeResult(r: RunResult): void {
  if (r.logits) r.logits.dispose();
  for (const t of r.cache.values()) t.dispose();
}

describe('hooks: capture', () => {
  const config = tinyConfig();
  let model: NeoXModel;
  const tokens = randomTokens(config, 2, 5, 1);
  before(() => {
    model = NeoXModel.fromStateDict(config, randomStateDict(config, 100));
  });
  after(() => model.dispose());

  it('keeps exactly the hooks asked for, with the documented shapes', () => {
    const { hiddenSize: d, numHeads: H, headSize: dh, intermediateSize: m } = config;
    const want: Record<string, number[]> = {
      hook_embed: [2, 5, d],
      'blocks.0.hook_resid_pre': [2, 5, d],
      'blocks.0.ln1.hook_normalized': [2, 5, d],
      'blocks.1.attn.hook_q': [2, 5, H, dh],
      'blocks.1.attn.hook_k': [2, 5, H, dh],
      'blocks.1.attn.hook_v': [2, 5, H, dh],
      'blocks.1.attn.hook_rot_q': [2, 5, H, dh],
      'blocks.1.attn.hook_rot_k': [2, 5, H, dh],
      'blocks.0.attn.hook_pattern': [2, H, 5, 5],
      'blocks.0.attn.hook_z': [2, 5, H, dh],
      'blocks.0.attn.hook_result': [2, 5, H, d],
      'blocks.1.hook_attn_out': [2, 5, d],
      'blocks.1.ln2.hook_normalized': [2, 5, d],
      'blocks.1.mlp.hook_pre': [2, 5, m],
      'blocks.1.mlp.hook_post': [2, 5, m],
      'blocks.0.hook_mlp_out': [2, 5, d],
      'blocks.1.hook_resid_post': [2, 5, d],
      'ln_final.hook_normalized': [2, 5, d],
    };
    const r = model.run(tokens, { capture: Object.keys(want) });
    try {
      expect([...r.cache.keys()].sort()).to.deep.equal(Object.keys(want).sort());
      for (const [name, shape] of Object.entries(want)) expect(r.cache.get(name)!.shape, name).to.deep.equal(shape);
    } finally {
      disposeResult(r);
    }
  });

  it('a capture predicate sees every hook name in forward order', () => {
    const seen: string[] = [];
    const r = model.run(tokens, { capture: (n) => (seen.push(n), n.endsWith('hook_resid_post')) });
    try {
      expect(seen).to.deep.equal(hookNames(config));
      expect([...r.cache.keys()]).to.deep.equal(['blocks.0.hook_resid_post', 'blocks.1.hook_resid_post']);
    } finally {
      disposeResult(r);
    }
  });

  it('hand-checkable values: rotary leaves position 0 alone, v passes through, resid_post[l] = resid_pre[l+1]', () => {
    const r = model.run(tokens, { capture: ['blocks.0.attn.hook_q', 'blocks.0.attn.hook_rot_q', 'blocks.0.attn.hook_k', 'blocks.0.attn.hook_rot_k', 'blocks.0.hook_resid_post', 'blocks.1.hook_resid_pre', 'blocks.0.attn.hook_pattern'] });
    try {
      const q = r.cache.get('blocks.0.attn.hook_q')!.arraySync() as number[][][][];
      const rq = r.cache.get('blocks.0.attn.hook_rot_q')!.arraySync() as number[][][][];
      // Position 0: angle 0, cos 1, sin 0.
      expect(rq[1][0]).to.deep.equal(q[1][0]);
      // Beyond the rotary dims nothing changes; inside them position 3 does change.
      const r2 = config.rotaryDims;
      expect(rq[0][3][1].slice(r2)).to.deep.equal(q[0][3][1].slice(r2));
      expect(rq[0][3][1].slice(0, r2)).to.not.deep.equal(q[0][3][1].slice(0, r2));
      // Rotation keeps the norm of each (i, i + r/2) pair.
      const k = r.cache.get('blocks.0.attn.hook_k')!.arraySync() as number[][][][];
      const rk = r.cache.get('blocks.0.attn.hook_rot_k')!.arraySync() as number[][][][];
      const half = r2 / 2;
      const pairNorm = (v: number[], i: number) => Math.hypot(v[i], v[i + half]);
      expect(pairNorm(rk[1][4][0], 1)).to.be.closeTo(pairNorm(k[1][4][0], 1), 1e-5);
      const post = r.cache.get('blocks.0.hook_resid_post')!.dataSync();
      expect(Array.from(r.cache.get('blocks.1.hook_resid_pre')!.dataSync())).to.deep.equal(Array.from(post));
      // Softmax rows sum to 1; position 0 attends only to itself.
      const pat = r.cache.get('blocks.0.attn.hook_pattern')!.arraySync() as number[][][][];
      expect(pat[0][1][0][0]).to.equal(1);
      for (const row of pat[1][0]) expect(row.reduce((a, b) => a + b, 0)).to.be.closeTo(1, 1e-6);
    } finally {
      disposeResult(r);
    }
  });

  it('refuses unknown hooks, out-of-range layers and unreachable hooks', () => {
    expect(() => model.run(tokens, { capture: ['blocks.0.hook_resid'] })).to.throw(/unknown hook "blocks.0.hook_resid"/);
    expect(() => model.run(tokens, { capture: ['blocks.2.hook_resid_pre'] })).to.throw(/layer 2 out of range \(the model has 2 layers/);
    const resid = tf.zeros([2, 5, config.hiddenSize]);
    expect(() => model.run(null, { startLayer: 1, residPre: resid, capture: ['blocks.0.hook_mlp_out'] })).to.throw(/never reached/);
    expect(() => model.run(null, { residPre: resid, capture: ['hook_embed'] })).to.throw(/never reached/);
    resid.dispose();
  });
});

describe('hooks: patches', () => {
  const config = tinyConfig();
  let model: NeoXModel;
  const tokens = randomTokens(config, 2, 5, 2);
  before(() => {
    model = NeoXModel.fromStateDict(config, randomStateDict(config, 200));
  });
  after(() => model.dispose());

  it("'zero' on hook_z restricted to a head, a position and a batch row zeroes exactly there", () => {
    const names = ['blocks.0.attn.hook_z', 'blocks.0.attn.hook_result', 'blocks.0.hook_attn_out'];
    const clean = model.run(tokens, { capture: names });
    const patched = model.run(tokens, { capture: names, patches: [{ hook: names[0], value: 'zero', heads: [1], positions: [3], batch: [1] }] });
    try {
      const shape: number[] = clean.cache.get(names[0])!.shape;
      const z0 = clean.cache.get(names[0])!.dataSync();
      const z1 = patched.cache.get(names[0])!.dataSync();
      for (let i = 0; i < z0.length; i++) {
        const [b, p, h] = [Math.floor(i / (shape[1] * shape[2] * shape[3])), Math.floor(i / (shape[2] * shape[3])) % shape[1], Math.floor(i / shape[3]) % shape[2]];
        expect(z1[i], `z[${b},${p},${h}]`).to.equal(b === 1 && p === 3 && h === 1 ? 0 : z0[i]);
      }
      // The zeroed head contributes nothing there; attn_out = other heads + b_O.
      const res = patched.cache.get(names[1])!.arraySync() as number[][][][];
      expect(res[1][3][1].every((x) => x === 0)).to.equal(true);
      const bO = model.params.blocks[0].b_O.dataSync();
      const out = patched.cache.get(names[2])!.arraySync() as number[][][];
      const d = config.hiddenSize;
      for (let j = 0; j < d; j++) expect(out[1][3][j]).to.be.closeTo(res[1][3][0][j] + bO[j], 1e-5);
      // Other rows are untouched.
      const outClean = clean.cache.get(names[2])!.arraySync() as number[][][];
      expect(out[0]).to.deep.equal(outClean[0]);
      expect(out[1][2]).to.deep.equal(outClean[1][2]);
    } finally {
      disposeResult(clean);
      disposeResult(patched);
    }
  });

  it('a full-shape tensor replaces the value: another input\'s residual gives its logits', () => {
    const other = randomTokens(config, 2, 5, 3);
    const ref = model.run(other, { capture: ['blocks.1.hook_resid_pre'] });
    const patched = model.run(tokens, { patches: [{ hook: 'blocks.1.hook_resid_pre', value: ref.cache.get('blocks.1.hook_resid_pre')! }] });
    try {
      expect(Array.from(patched.logits!.dataSync())).to.deep.equal(Array.from(ref.logits!.dataSync()));
      // The caller's tensor is not disposed by the pass.
      expect(ref.cache.get('blocks.1.hook_resid_pre')!.isDisposed).to.equal(false);
    } finally {
      disposeResult(ref);
      disposeResult(patched);
    }
  });

  it('a function of the clean value, restricted to positions', () => {
    const name = 'blocks.1.hook_mlp_out';
    const clean = model.run(tokens, { capture: [name] });
    const patched = model.run(tokens, { capture: [name], patches: [{ hook: name, value: (x) => tf.mul(x, 2), positions: [0, 4] }] });
    try {
      const a = clean.cache.get(name)!.arraySync() as number[][][];
      const b = patched.cache.get(name)!.arraySync() as number[][][];
      for (let row = 0; row < 2; row++) {
        for (let p = 0; p < 5; p++) expect(b[row][p]).to.deep.equal(p === 0 || p === 4 ? a[row][p].map((x) => x * 2) : a[row][p]);
      }
    } finally {
      disposeResult(clean);
      disposeResult(patched);
    }
  });

  it('zero keys give uniform causal attention (pattern[i, j] = 1/(i+1) for j <= i)', () => {
    const r = model.run(tokens, { capture: ['blocks.0.attn.hook_pattern'], patches: [{ hook: 'blocks.0.attn.hook_k', value: 'zero' }] });
    try {
      const pat = r.cache.get('blocks.0.attn.hook_pattern')!.arraySync() as number[][][][];
      for (const b of [0, 1]) {
        for (let h = 0; h < config.numHeads; h++) {
          for (let i = 0; i < 5; i++) for (let j = 0; j < 5; j++) expect(pat[b][h][i][j]).to.be.closeTo(j <= i ? 1 / (i + 1) : 0, 1e-6);
        }
      }
    } finally {
      disposeResult(r);
    }
  });

  it('a patched pattern (attend to position 0 only, one head) makes z equal v at position 0', () => {
    const H = config.numHeads;
    const onlyFirst = tf.tidy(() => {
      const oneHot = tf.oneHot(tf.zeros([5], 'int32'), 5).toFloat(); // [p, p]: every query → key 0
      return tf.tile(oneHot.reshape([1, 1, 5, 5]), [2, H, 1, 1]);
    });
    const r = model.run(tokens, {
      capture: ['blocks.1.attn.hook_v', 'blocks.1.attn.hook_z', 'blocks.1.attn.hook_pattern'],
      patches: [{ hook: 'blocks.1.attn.hook_pattern', value: onlyFirst, heads: [1] }],
    });
    try {
      const v = r.cache.get('blocks.1.attn.hook_v')!.arraySync() as number[][][][];
      const z = r.cache.get('blocks.1.attn.hook_z')!.arraySync() as number[][][][];
      for (const b of [0, 1]) for (let p = 0; p < 5; p++) {
        z[b][p][1].forEach((x, i) => expect(x).to.be.closeTo(v[b][0][1][i], 1e-6));
      }
      // Head 0 keeps its own (causal) attention: its pattern row 4 is not one-hot.
      const pat = r.cache.get('blocks.1.attn.hook_pattern')!.arraySync() as number[][][][];
      expect(pat[0][0][4][0]).to.be.lessThan(1);
    } finally {
      onlyFirst.dispose();
      disposeResult(r);
    }
  });

  it('patching hook_result recomputes attn_out as Σ heads + b_O', () => {
    const names = ['blocks.0.attn.hook_result', 'blocks.0.hook_attn_out'];
    const r = model.run(tokens, { capture: names, patches: [{ hook: names[0], value: (x) => tf.mul(x, 3), heads: [0] }] });
    try {
      const res = r.cache.get(names[0])!.arraySync() as number[][][][];
      const out = r.cache.get(names[1])!.arraySync() as number[][][];
      const bO = model.params.blocks[0].b_O.dataSync();
      for (let j = 0; j < config.hiddenSize; j++) expect(out[1][2][j]).to.be.closeTo(res[1][2][0][j] + res[1][2][1][j] + bO[j], 1e-5);
    } finally {
      disposeResult(r);
    }
  });

  it('refuses bad patches with a message naming the hook', () => {
    const run = (p: Patch) => () => model.run(tokens, { patches: [p] });
    expect(run({ hook: 'blocks.0.hook_attn_out', value: 'zero', heads: [0] })).to.throw(/heads restriction needs a per-head hook/);
    expect(run({ hook: 'blocks.0.attn.hook_z', value: 'zero', heads: [2] })).to.throw(/heads index 2 out of range \[0, 2\)/);
    expect(run({ hook: 'blocks.0.attn.hook_z', value: 'zero', positions: [5] })).to.throw(/positions index 5 out of range \[0, 5\)/);
    expect(run({ hook: 'blocks.0.attn.hook_z', value: 'zero', batch: [2] })).to.throw(/batch index 2 out of range \[0, 2\)/);
    const wrong = tf.zeros([2, 5, 3]);
    expect(run({ hook: 'blocks.0.hook_mlp_out', value: wrong })).to.throw(/"blocks.0.hook_mlp_out": replacement has shape \[2,5,3\], expected \[2,5,16\]/);
    wrong.dispose();
    expect(run({ hook: 'blocks.0.hook_mlp_out', value: () => tf.zeros([1]) })).to.throw(/replacement has shape \[1\]/);
  });
});

describe('hooks: ablation by name, stacked ablations and restarts (golden neox-tiny)', () => {
  const g = readGolden('neox-tiny');
  let model: NeoXModel;
  before(async () => {
    model = await NeoXModel.load(path.join(FIXTURES, 'neox-tiny'));
  });
  after(() => model?.dispose());

  it('parses names to the fixtures\' conventions', () => {
    expect(parseAblationNames('L1H0,L0MLP,L1ATTN,L0H2+L1MLP', model.config)).to.deep.equal([
      { hook: 'blocks.1.attn.hook_z', value: 'zero', heads: [0] },
      { hook: 'blocks.0.hook_mlp_out', value: 'zero' },
      { hook: 'blocks.1.hook_attn_out', value: 'zero' },
      { hook: 'blocks.0.attn.hook_z', value: 'zero', heads: [2] },
      { hook: 'blocks.1.hook_mlp_out', value: 'zero' },
    ]);
    expect(parseAblationComponents('l2h3', model.config)).to.deep.equal([{ kind: 'head', layer: 2, head: 3 }]);
  });

  it('refuses bad names, layers and heads with an OptionError', () => {
    const bad: [string, RegExp][] = [
      ['L1X', /"L1X" is not an ablation name \(expected L\{layer\}H\{head\}/],
      ['L3H0', /"L3H0": layer 3 out of range \(the model has 3 layers, 0\.\.2\)/],
      ['L1H4', /"L1H4": head 4 out of range \(the model has 4 heads per layer, 0\.\.3\)/],
      ['L1H0,,L0MLP', /empty ablation name/],
      ['', /empty ablation name/],
      ['H1', /not an ablation name/],
    ];
    for (const [spec, re] of bad) expect(() => parseAblationNames(spec, model.config), spec).to.throw(OptionError, re);
  });

  it('K ablations stacked into one batch of K·B rows with batch-restricted patches match the goldens', () => {
    const B = g.inputIds.length;
    const stacked = [g.inputIds, ...g.ablations.map(() => g.inputIds)].flat(); // clean rows first
    const patches = g.ablations.flatMap((ab, k) => {
      const rows = Array.from({ length: B }, (_, i) => (k + 1) * B + i);
      return parseAblationComponents(ab.name, model.config).map((c) => ablationPatch(c, rows));
    });
    const r = model.run(stacked, { patches, logits: g.logitsPositions });
    try {
      const all = r.logits!.dataSync();
      const per = all.length / (g.ablations.length + 1);
      expectClose(all.subarray(0, per), goldenArray(g, 'logits'), 'clean rows');
      g.ablations.forEach((ab, k) => expectClose(all.subarray((k + 1) * per, (k + 2) * per), goldenArray(g, `ablation.${ab.name}.logits`), `${ab.name} rows`));
    } finally {
      disposeResult(r);
    }
  });

  it('restarting at a layer from the cached residual equals the full pass, clean and ablated', () => {
    const full = model.run(g.inputIds, { capture: ['blocks.1.hook_resid_pre', 'blocks.2.hook_resid_pre'] });
    const restarted = model.run(null, { startLayer: 1, residPre: full.cache.get('blocks.1.hook_resid_pre')! });
    const ablated = model.run(null, {
      startLayer: 2,
      residPre: full.cache.get('blocks.2.hook_resid_pre')!,
      patches: parseAblationNames('L2H3', model.config),
    });
    try {
      expectClose(restarted.logits!, { shape: full.logits!.shape, data: full.logits!.dataSync() }, 'restart', 1e-6, 1e-6);
      expectClose(ablated.logits!, goldenArray(g, 'ablation.L2H3.logits'), 'restart + L2H3');
      expect(() => model.run(null, { startLayer: 2 })).to.throw(/needs residPre/);
      expect(() => model.run(null, { startLayer: 2, residPre: full.cache.get('blocks.2.hook_resid_pre')!, patches: parseAblationNames('L1H0', model.config) })).to.throw(/never reached/);
    } finally {
      [full, restarted, ablated].forEach(disposeResult);
    }
  });

  it('keeps tf.memory().numTensors flat over hundreds of passes with captures, patches and restarts', () => {
    const resid = model.run(g.inputIds, { capture: ['blocks.1.hook_resid_pre'], logits: 'none' });
    const residPre = resid.cache.get('blocks.1.hook_resid_pre')!;
    const patchTensor = tf.zeros([2, 12, 64]);
    const variants = [
      {},
      { capture: ['blocks.0.attn.hook_result', 'blocks.2.attn.hook_pattern'], logits: [3, 7] },
      { patches: parseAblationNames('L1H0,L0MLP,L1ATTN,L0H2+L1MLP', model.config), logits: 'none' as const, capture: ['blocks.2.hook_resid_post'] },
      { startLayer: 1, residPre, patches: [{ hook: 'blocks.1.attn.hook_result', value: (x: tf.Tensor) => tf.neg(x), heads: [1], batch: [0] }] },
      { patches: [{ hook: 'blocks.2.hook_mlp_out', value: patchTensor, positions: [1] }, { hook: 'blocks.0.attn.hook_pattern', value: 'zero' as const, positions: [4] }] },
      { capture: (n: string) => n.includes('hook_q') || n.includes('hook_k'), attention: 'matmul' as const },
    ];
    const runAll = (times: number) => {
      for (let i = 0; i < times; i++) {
        const v = variants[i % variants.length];
        disposeResult(model.run('residPre' in v ? null : g.inputIds, v));
      }
    };
    runAll(variants.length); // warm-up (lazily created constants, if any)
    const before = tf.memory().numTensors;
    runAll(240);
    expect(tf.memory().numTensors).to.equal(before);
    // A failing pass releases what it captured.
    expect(() => model.run(g.inputIds, { capture: ['blocks.0.hook_resid_post'], patches: [{ hook: 'blocks.2.hook_mlp_out', value: () => tf.zeros([1]) }] })).to.throw();
    expect(tf.memory().numTensors).to.equal(before);
    patchTensor.dispose();
    disposeResult(resid);
  });
});
