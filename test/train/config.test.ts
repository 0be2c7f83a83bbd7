import { expect } from 'chai';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { CntlensError, InputError } from '../../lib/util/errors.js';
import { DEFAULT_TRAIN_CONFIG, modelConfig, readTrainConfig, resolveTrainConfig, settingsHash } from '../../lib/train/config.js';
import { tempDir } from './helpers.js';

describe('train/config', () => {
  it('the defaults are valid and describe a GPT-NeoX model', () => {
    const c = resolveTrainConfig({});
    expect(c).to.deep.equal(DEFAULT_TRAIN_CONFIG);
    const neox = modelConfig(c);
    expect(neox.headSize * neox.numHeads).to.equal(neox.hiddenSize);
    expect(c.data.seqLen).to.be.at.most(neox.maxPositionEmbeddings);
    expect(1 + 2 * c.eval.spanLength).to.be.at.most(c.data.seqLen);
  });

  it('merges overrides section by section, leaving the rest at the defaults', () => {
    const c = resolveTrainConfig({ optim: { lr: 0.005 }, steps: 10, model: { num_hidden_layers: 3 } });
    expect(c.optim.lr).to.equal(0.005);
    expect(c.optim.batchSize).to.equal(DEFAULT_TRAIN_CONFIG.optim.batchSize);
    expect(c.steps).to.equal(10);
    expect(c.model.num_hidden_layers).to.equal(3);
    expect(c.model.hidden_size).to.equal(DEFAULT_TRAIN_CONFIG.model.hidden_size);
    // The defaults themselves are untouched.
    expect(DEFAULT_TRAIN_CONFIG.optim.lr).to.not.equal(0.005);
  });

  it('refuses unknown keys with their full path', () => {
    expect(() => resolveTrainConfig({ optim: { learningRate: 1 } }, 'f.json')).to.throw(InputError, /f\.json: unknown key "optim\.learningRate"/);
    expect(() => resolveTrainConfig({ stepz: 1 }, 'f.json')).to.throw(InputError, /unknown key "stepz"/);
    expect(() => resolveTrainConfig({ model: { vocab: 3 } })).to.throw(/unknown key "model\.vocab"/);
  });

  it('refuses bad values, naming the key', () => {
    expect(() => resolveTrainConfig({ steps: 0 })).to.throw(/"steps" must be a positive integer, got 0/);
    expect(() => resolveTrainConfig({ optim: { lr: -1 } })).to.throw(/"optim\.lr" must be positive/);
    expect(() => resolveTrainConfig({ checkpoints: { dtype: 'BF16' } })).to.throw(/"checkpoints\.dtype" must be "F32" or "F16"/);
    expect(() => resolveTrainConfig({ embedding: 'lookup' })).to.throw(/"embedding"/);
    expect(() => resolveTrainConfig({ seed: 1.5 })).to.throw(/"seed"/);
    expect(() => resolveTrainConfig({ data: 3 })).to.throw(/"data" must be an object/);
    expect(() => resolveTrainConfig([])).to.throw(/expected a JSON object/);
  });

  it('refuses inconsistent settings', () => {
    expect(() => resolveTrainConfig({ data: { seqLen: 200 } })).to.throw(/"data\.seqLen" \(200\) exceeds "model\.max_position_embeddings"/);
    expect(() => resolveTrainConfig({ data: { spanMax: 40 } })).to.throw(/"data\.spanMax" \(40\)/);
    expect(() => resolveTrainConfig({ model: { hidden_size: 30 } })).to.throw(/not divisible/);
    expect(() => resolveTrainConfig({ data: { branching: 64 } })).to.throw(/"data\.branching"/);
    expect(() => resolveTrainConfig({ optim: { beta2: 1 } })).to.throw(/below 1/);
    expect(() => resolveTrainConfig({ eval: { spanLength: 64 } })).to.throw(/"eval\.spanLength"/);
  });

  it('reads a JSON file and names it in errors', () => {
    const { dir, cleanup } = tempDir('trainconfig');
    try {
      const good = path.join(dir, 'good.json');
      writeFileSync(good, JSON.stringify({ steps: 12, data: { seqLen: 56 } }));
      const c = readTrainConfig(good);
      expect(c.steps).to.equal(12);
      expect(c.data.seqLen).to.equal(56);
      const bad = path.join(dir, 'bad.json');
      writeFileSync(bad, JSON.stringify({ optim: { lrr: 1 } }));
      expect(() => readTrainConfig(bad)).to.throw(CntlensError, new RegExp(`${bad.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}: unknown key "optim\\.lrr"`));
    } finally {
      cleanup();
    }
  });

  it('settingsHash is stable under key order and changes with any setting', () => {
    const a = resolveTrainConfig({ seed: 3, steps: 10 });
    const b = resolveTrainConfig({ steps: 10, seed: 3 });
    expect(settingsHash(a)).to.equal(settingsHash(b));
    expect(settingsHash(a)).to.match(/^[0-9a-f]{64}$/);
    expect(settingsHash(resolveTrainConfig({ seed: 4, steps: 10 }))).to.not.equal(settingsHash(a));
    expect(settingsHash(resolveTrainConfig({ seed: 3, steps: 10, checkpoints: { dtype: 'F16' } }))).to.not.equal(settingsHash(a));
    expect(settingsHash(resolveTrainConfig({ seed: 3, steps: 10, eval: { every: 7 } }))).to.not.equal(settingsHash(a));
  });

});
