import { expect } from 'chai';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { configToHF, parseConfig, readConfig } from '../../lib/model/config.js';
import { InputError } from '../../lib/util/errors.js';

const MINIMAL = { vocab_size: 97, hidden_size: 64, num_hidden_layers: 3, num_attention_heads: 4, intermediate_size: 256 };

function refused(raw: unknown, pattern: RegExp): void {
  expect(() => parseConfig(raw, 'my/config.json')).to.throw(InputError, pattern);
  expect(() => parseConfig(raw, 'my/config.json')).to.throw(/^my\/config\.json: /);
}

describe('config.json', () => {
  it('reads the fixture config (written by transformers 4.35.2)', () => {
    const c = readConfig(path.resolve('test/fixtures/neox-tiny'));
    expect(c).to.deep.equal({
      vocabSize: 97, hiddenSize: 64, numLayers: 3, numHeads: 4, intermediateSize: 256,
      rotaryPct: 0.25, rotaryEmbBase: 10000, maxPositionEmbeddings: 128, layerNormEps: 1e-5,
      useParallelResidual: true, hiddenAct: 'gelu', tieWordEmbeddings: false, headSize: 16, rotaryDims: 4,
    });
  });

  it('fills absent optional fields with GPTNeoXConfig v4.35 defaults', () => {
    const c = parseConfig(MINIMAL);
    expect(c).to.deep.include({
      rotaryPct: 0.25, rotaryEmbBase: 10000, maxPositionEmbeddings: 2048, layerNormEps: 1e-5,
      useParallelResidual: true, hiddenAct: 'gelu', tieWordEmbeddings: false, rotaryDims: 4,
    });
    expect(parseConfig({ ...MINIMAL, use_parallel_residual: false, tie_word_embeddings: true, rotary_pct: 1 })).to.deep.include({
      useParallelResidual: false, tieWordEmbeddings: true, rotaryDims: 16,
    });
  });

  it('accepts transformers 5 rope_parameters of the plain kind', () => {
    const c = parseConfig({ ...MINIMAL, rope_parameters: { rope_type: 'default', rope_theta: 5000, partial_rotary_factor: 0.5 } });
    expect(c).to.deep.include({ rotaryEmbBase: 5000, rotaryPct: 0.5, rotaryDims: 8 });
    refused({ ...MINIMAL, rotary_pct: 0.25, rope_parameters: { partial_rotary_factor: 0.5 } }, /"rotary_pct" \(0\.25\) contradicts rope_parameters/);
    refused({ ...MINIMAL, rope_parameters: { rope_type: 'yarn', factor: 4 } }, /rope_type "yarn"/);
  });

  it('round-trips through configToHF', () => {
    const c = parseConfig({ ...MINIMAL, rotary_pct: 0.5, use_parallel_residual: false, layer_norm_eps: 1e-6 });
    expect(parseConfig(configToHF(c))).to.deep.equal(c);
  });

  it('refuses a config that lacks a required field', () => {
    for (const key of Object.keys(MINIMAL)) {
      const raw: Record<string, unknown> = { ...MINIMAL };
      delete raw[key];
      refused(raw, new RegExp(`missing required field "${key}"`));
    }
  });

  it('refuses unsupported architectures, model types and features', () => {
    refused({ ...MINIMAL, architectures: ['LlamaForCausalLM'] }, /unsupported architecture \["LlamaForCausalLM"\]/);
    refused({ ...MINIMAL, architectures: ['GPTNeoXForSequenceClassification'] }, /unsupported architecture/);
    refused({ ...MINIMAL, model_type: 'gpt_neox_japanese' }, /unsupported model_type "gpt_neox_japanese"/);
    refused({ ...MINIMAL, hidden_act: 'gelu_new' }, /unsupported "hidden_act" "gelu_new"/);
    refused({ ...MINIMAL, hidden_act: 'relu' }, /unsupported "hidden_act"/);
    refused({ ...MINIMAL, rope_scaling: { type: 'linear', factor: 2 } }, /unsupported "rope_scaling"/);
    refused({ ...MINIMAL, attention_bias: false }, /unsupported "attention_bias" false/);
    expect(parseConfig({ ...MINIMAL, architectures: ['GPTNeoXForCausalLM'], model_type: 'gpt_neox', rope_scaling: null, attention_bias: true }).numLayers).to.equal(3);
  });

  it('refuses contradictory and mistyped values', () => {
    refused({ ...MINIMAL, num_attention_heads: 5 }, /"hidden_size" \(64\) is not divisible by "num_attention_heads" \(5\)/);
    refused({ ...MINIMAL, rotary_pct: 0.1875 }, /rotary dims .* = 3 must be even/);
    refused({ ...MINIMAL, rotary_pct: 1.5 }, /"rotary_pct" must be a number in \[0, 1\]/);
    refused({ ...MINIMAL, rotary_pct: '0.25' }, /"rotary_pct" must be a number/);
    refused({ ...MINIMAL, layer_norm_eps: null }, /"layer_norm_eps" must be a positive number, got null/);
    refused({ ...MINIMAL, layer_norm_eps: 0 }, /"layer_norm_eps"/);
    refused({ ...MINIMAL, max_position_embeddings: 10.5 }, /"max_position_embeddings" must be a positive integer/);
    refused({ ...MINIMAL, use_parallel_residual: 'yes' }, /"use_parallel_residual" must be true or false/);
    refused({ ...MINIMAL, hidden_size: 64.5 }, /"hidden_size" must be a positive integer, got 64\.5/);
    refused({ ...MINIMAL, vocab_size: -3 }, /"vocab_size" must be a positive integer/);
    refused({ ...MINIMAL, num_hidden_layers: null }, /"num_hidden_layers" must be a positive integer, got null/);
    refused({ ...MINIMAL, architectures: 'GPTNeoXForCausalLM' }, /"architectures" must be a list of strings/);
    refused([MINIMAL], /expected a JSON object/);
    refused(null, /expected a JSON object/);
  });

  it('refuses a config.json that is missing, empty or not JSON, naming the file', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'cntlens-config-'));
    try {
      expect(() => readConfig(dir)).to.throw(InputError, /config\.json: no config\.json/);
      const file = path.join(dir, 'config.json');
      writeFileSync(file, '{"vocab_size": 97,');
      expect(() => readConfig(dir)).to.throw(InputError, new RegExp(`^${file.replace(/[.\\/]/g, '\\$&')}: not valid JSON`));
      writeFileSync(file, '');
      expect(() => readConfig(file)).to.throw(InputError, /file is empty/);
      writeFileSync(file, JSON.stringify({ ...MINIMAL, hidden_act: 'silu' }));
      expect(() => readConfig(file)).to.throw(InputError, /config\.json: unsupported "hidden_act" "silu"/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
