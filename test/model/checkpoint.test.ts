import { expect } from 'chai';
import { createHash } from 'node:crypto';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { checkpointHash, expectedShapes, findWeights, loadCheckpoint } from '../../lib/model/checkpoint.js';
import { parseConfig } from '../../lib/model/config.js';
import { serializeSafetensors } from '../../lib/model/safetensors.js';
import type { HostTensor, StateDict } from '../../lib/model/types.js';
import { InputError } from '../../lib/util/errors.js';
import { f32Bytes, Pickle, stateDictPickle, torchBin, type PickledTensor } from './helpers/torchbin.js';

const FIXTURES = path.resolve('test/fixtures');
const fixture = (set: string): string => path.join(FIXTURES, set);

function bits(x: Float32Array): number[] {
  return [...new Uint32Array(x.buffer, x.byteOffset, x.length)];
}

function expectSameStateDict(a: StateDict, b: StateDict): void {
  expect([...a.keys()]).to.deep.equal([...b.keys()]);
  for (const [name, t] of a) {
    const u = b.get(name) as HostTensor;
    expect(u.shape, name).to.deep.equal(t.shape);
    const x = bits(t.data);
    const y = bits(u.data);
    expect(y.length, name).to.equal(x.length);
    const firstDiff = x.findIndex((v, i) => v !== y[i]);
    expect(firstDiff, `${name}: first differing element`).to.equal(-1);
  }
}

/** HF state_dict() names of the fixture model (3 layers), written out by hand. */
function fixtureNames(): string[] {
  const names = ['gpt_neox.embed_in.weight'];
  for (let l = 0; l < 3; l++) {
    for (const s of ['input_layernorm.weight', 'input_layernorm.bias', 'post_attention_layernorm.weight', 'post_attention_layernorm.bias',
      'attention.query_key_value.weight', 'attention.query_key_value.bias', 'attention.dense.weight', 'attention.dense.bias',
      'mlp.dense_h_to_4h.weight', 'mlp.dense_h_to_4h.bias', 'mlp.dense_4h_to_h.weight', 'mlp.dense_4h_to_h.bias']) {
      names.push(`gpt_neox.layers.${l}.${s}`);
    }
  }
  return [...names, 'gpt_neox.final_layer_norm.weight', 'gpt_neox.final_layer_norm.bias', 'embed_out.weight'];
}

describe('checkpoint: loading the fixtures', () => {
  it('loads model.safetensors with every tensor named and shaped as HF does', () => {
    const ck = loadCheckpoint(fixture('neox-tiny'));
    expect(ck.format).to.equal('safetensors');
    expect(ck.files).to.deep.equal([path.join(fixture('neox-tiny'), 'model.safetensors')]);
    expect([...ck.stateDict.keys()]).to.deep.equal(fixtureNames());
    const shape = (n: string): number[] => (ck.stateDict.get(n) as HostTensor).shape;
    expect(shape('gpt_neox.embed_in.weight')).to.deep.equal([97, 64]);
    expect(shape('gpt_neox.layers.2.attention.query_key_value.weight')).to.deep.equal([192, 64]);
    expect(shape('gpt_neox.layers.1.mlp.dense_h_to_4h.weight')).to.deep.equal([256, 64]);
    expect(shape('gpt_neox.layers.1.mlp.dense_4h_to_h.weight')).to.deep.equal([64, 256]);
    expect(shape('embed_out.weight')).to.deep.equal([97, 64]);
  });

  for (const [bin, twin, legacy] of [['neox-tiny-bin', 'neox-tiny', 9], ['neox-tiny-f16-bin', 'neox-tiny-f16', 0]] as const) {
    it(`loads ${bin}/pytorch_model.bin bit for bit equal to ${twin}/model.safetensors`, () => {
      const a = loadCheckpoint(fixture(bin));
      const b = loadCheckpoint(fixture(twin));
      expect(a.format).to.equal('pytorch');
      expect(a.config).to.deep.equal(b.config);
      expectSameStateDict(a.stateDict, b.stateDict);
      expect(a.skipped).to.have.length(legacy);
      if (legacy) {
        expect(a.skipped.slice(0, 3)).to.deep.equal(['gpt_neox.layers.0.attention.bias', 'gpt_neox.layers.0.attention.masked_bias', 'gpt_neox.layers.0.attention.rotary_emb.inv_freq']);
      }
      // An independent reference: expected.json records attention.dense.bias as HF used it.
      const expected = JSON.parse(readFileSync(path.join(fixture(twin), 'expected.json'), 'utf8')).arrays.attn_dense_bias;
      const flat = Float32Array.from(expected.data as number[]);
      for (let l = 0; l < 3; l++) {
        expect(bits(a.stateDict.get(`gpt_neox.layers.${l}.attention.dense.bias`)!.data)).to.deep.equal(bits(flat.subarray(64 * l, 64 * l + 64)));
      }
    });
  }

  it('lists the expected shapes from the config alone', () => {
    const shapes = expectedShapes(parseConfig({ vocab_size: 10, hidden_size: 8, num_hidden_layers: 1, num_attention_heads: 2, intermediate_size: 12, rotary_pct: 0.5 }));
    expect(shapes.size).to.equal(1 + 12 + 3);
    expect(shapes.get('gpt_neox.layers.0.mlp.dense_4h_to_h.weight')?.shape).to.deep.equal([8, 12]);
    expect(shapes.get('gpt_neox.layers.0.attention.query_key_value.bias')?.shape).to.deep.equal([24]);
  });
});

describe('checkpoint: building and refusing folders', () => {
  let tmp: string;
  let reference: StateDict;
  let n = 0;
  before(() => {
    tmp = mkdtempSync(path.join(os.tmpdir(), 'cntlens-ckpt-'));
    reference = loadCheckpoint(fixture('neox-tiny')).stateDict;
  });
  after(() => rmSync(tmp, { recursive: true, force: true }));

  /** A fresh folder with the fixture's config.json (optionally changed). */
  function folder(configChanges: Record<string, unknown> = {}): string {
    const dir = path.join(tmp, `ck${n++}`);
    mkdirSync(dir);
    const config = JSON.parse(readFileSync(path.join(fixture('neox-tiny'), 'config.json'), 'utf8'));
    writeFileSync(path.join(dir, 'config.json'), JSON.stringify({ ...config, ...configChanges }));
    return dir;
  }
  function withWeights(sd: StateDict, configChanges: Record<string, unknown> = {}): string {
    const dir = folder(configChanges);
    writeFileSync(path.join(dir, 'model.safetensors'), serializeSafetensors(sd));
    return dir;
  }
  function without(...names: string[]): StateDict {
    return new Map([...reference].filter(([k]) => !names.includes(k)));
  }
  function refused(dir: string, pattern: RegExp): void {
    expect(() => loadCheckpoint(dir)).to.throw(InputError, pattern);
  }

  it('loads a sharded safetensors checkpoint (2 shards) equal to the unsharded one', () => {
    const dir = folder();
    const names = [...reference.keys()];
    const first = new Map(names.slice(0, 20).map((k) => [k, reference.get(k) as HostTensor]));
    const second = new Map(names.slice(20).map((k) => [k, reference.get(k) as HostTensor]));
    writeFileSync(path.join(dir, 'model-00001-of-00002.safetensors'), serializeSafetensors(first));
    writeFileSync(path.join(dir, 'model-00002-of-00002.safetensors'), serializeSafetensors(second));
    const weightMap = Object.fromEntries(names.map((k, i) => [k, i < 20 ? 'model-00001-of-00002.safetensors' : 'model-00002-of-00002.safetensors']));
    writeFileSync(path.join(dir, 'model.safetensors.index.json'), JSON.stringify({ metadata: { total_size: 1 }, weight_map: weightMap }));
    const ck = loadCheckpoint(dir);
    expect(ck.format).to.equal('safetensors-sharded');
    expect(ck.files.map((f) => path.basename(f))).to.deep.equal(['model.safetensors.index.json', 'model-00001-of-00002.safetensors', 'model-00002-of-00002.safetensors']);
    expectSameStateDict(ck.stateDict, reference);

    // The same shards with a broken index.
    const index = path.join(dir, 'model.safetensors.index.json');
    const broken = (map: Record<string, unknown>, pattern: RegExp): void => {
      writeFileSync(index, JSON.stringify({ weight_map: map }));
      refused(dir, pattern);
    };
    broken({ ...weightMap, 'embed_out.weight': 'model-00003-of-00003.safetensors' }, /model\.safetensors\.index\.json: shard "model-00003-of-00003\.safetensors" named in weight_map is missing/);
    broken({ ...weightMap, 'embed_out.weight': '../model.safetensors' }, /must be a file name in the checkpoint folder/);
    broken({ ...weightMap, 'embed_out.weight': 'model-00001-of-00002.safetensors' }, /model-00002-of-00002\.safetensors: tensor "embed_out\.weight" is here, but model\.safetensors\.index\.json puts it in "model-00001-of-00002\.safetensors"/);
    const unlisted: Record<string, unknown> = { ...weightMap };
    delete unlisted['embed_out.weight'];
    broken(unlisted, /tensor "embed_out\.weight" is not listed in model\.safetensors\.index\.json's weight_map/);
    broken({ ...weightMap, 'gpt_neox.extra.weight': 'model-00001-of-00002.safetensors' }, /tensor "gpt_neox\.extra\.weight" is listed .* but is not in it/);
    writeFileSync(index, JSON.stringify({ metadata: {} }));
    refused(dir, /no "weight_map" object/);
    writeFileSync(index, '{ not json');
    refused(dir, /model\.safetensors\.index\.json: not valid JSON/);
  });

  it('loads a sharded pytorch checkpoint (pytorch_model.bin.index.json)', () => {
    const dir = folder();
    const names = [...reference.keys()];
    const weightMap: Record<string, string> = {};
    for (const [shard, part] of [['pytorch_model-00001-of-00002.bin', names.slice(0, 25)], ['pytorch_model-00002-of-00002.bin', names.slice(25)]] as const) {
      const tensors: PickledTensor[] = [];
      const storages: Record<string, Uint8Array> = {};
      part.forEach((name, i) => {
        const t = reference.get(name) as HostTensor;
        tensors.push({ name, storageClass: 'FloatStorage', key: String(i), numel: t.data.length, size: t.shape });
        storages[String(i)] = f32Bytes(t.data);
        weightMap[name] = shard;
      });
      writeFileSync(path.join(dir, shard), torchBin(stateDictPickle(tensors, 'dict'), storages, shard.replace('.bin', '')));
    }
    writeFileSync(path.join(dir, 'pytorch_model.bin.index.json'), JSON.stringify({ metadata: {}, weight_map: weightMap }));
    const ck = loadCheckpoint(dir);
    expect(ck.format).to.equal('pytorch-sharded');
    expectSameStateDict(ck.stateDict, reference);
  });

  it('prefers model.safetensors over pytorch_model.bin', () => {
    const dir = withWeights(reference);
    copyFileSync(path.join(fixture('neox-tiny-f16-bin'), 'pytorch_model.bin'), path.join(dir, 'pytorch_model.bin'));
    expect(findWeights(dir).format).to.equal('safetensors');
    expectSameStateDict(loadCheckpoint(dir).stateDict, reference);
  });

  it('refuses a missing tensor, an unexpected tensor and a tensor that contradicts config.json', () => {
    refused(withWeights(without('gpt_neox.layers.1.mlp.dense_4h_to_h.bias')), /model\.safetensors: missing tensor "gpt_neox\.layers\.1\.mlp\.dense_4h_to_h\.bias"$/);
    refused(withWeights(without('embed_out.weight', 'gpt_neox.final_layer_norm.bias')), /missing tensor "gpt_neox\.final_layer_norm\.bias" \(and 1 more: embed_out\.weight\)/);
    refused(withWeights(new Map([...reference, ['gpt_neox.layers.3.attention.dense.bias', { shape: [64], data: new Float32Array(64) }]])), /unexpected tensor "gpt_neox\.layers\.3\.attention\.dense\.bias"/);
    // Base-model names (GPTNeoXModel, no "gpt_neox." prefix) are not a causal LM.
    refused(withWeights(new Map([...reference].map(([k, t]) => [k.replace(/^gpt_neox\./, ''), t]))), /unexpected tensor "embed_in\.weight"/);
    refused(withWeights(reference, { intermediate_size: 128 }), /tensor "gpt_neox\.layers\.0\.mlp\.dense_h_to_4h\.weight" has shape \[256,64\], which contradicts .*config\.json \(expected \[128,64\] = \[intermediate_size, hidden_size\]\)/);
    refused(withWeights(reference, { vocab_size: 96 }), /"gpt_neox\.embed_in\.weight" has shape \[97,64\], which contradicts .*config\.json/);
    refused(withWeights(reference, { num_hidden_layers: 2 }), /unexpected tensor "gpt_neox\.layers\.2\./);
    refused(withWeights(reference, { num_hidden_layers: 4 }), /missing tensor "gpt_neox\.layers\.3\.input_layernorm\.weight"/);
    const flat = new Map(reference);
    flat.set('gpt_neox.final_layer_norm.weight', { shape: [8, 8], data: new Float32Array(64) });
    refused(withWeights(flat), /"gpt_neox\.final_layer_norm\.weight" has shape \[8,8\], which contradicts .*config\.json \(expected \[64\]/);
  });

  it('skips legacy buffers in safetensors too, but only for layers that exist', () => {
    const withLegacy = new Map(reference);
    withLegacy.set('gpt_neox.layers.0.attention.masked_bias', { shape: [], data: new Float32Array([-1e9]) });
    withLegacy.set('gpt_neox.layers.2.attention.rotary_emb.inv_freq', { shape: [2], data: new Float32Array([1, 0.01]) });
    const ck = loadCheckpoint(withWeights(withLegacy));
    expect(ck.skipped).to.deep.equal(['gpt_neox.layers.0.attention.masked_bias', 'gpt_neox.layers.2.attention.rotary_emb.inv_freq']);
    expectSameStateDict(ck.stateDict, reference);
    const stray = new Map(reference);
    stray.set('gpt_neox.layers.7.attention.masked_bias', { shape: [], data: new Float32Array([-1e9]) });
    refused(withWeights(stray), /unexpected tensor "gpt_neox\.layers\.7\.attention\.masked_bias"/);
  });

  it('ties embed_out to embed_in when tie_word_embeddings is set', () => {
    const ck = loadCheckpoint(withWeights(without('embed_out.weight'), { tie_word_embeddings: true }));
    expect(ck.stateDict.get('embed_out.weight')).to.equal(ck.stateDict.get('gpt_neox.embed_in.weight'));
    const same = new Map(without('embed_out.weight'));
    same.set('embed_out.weight', reference.get('gpt_neox.embed_in.weight') as HostTensor);
    expect(loadCheckpoint(withWeights(same, { tie_word_embeddings: true })).stateDict.size).to.equal(40);
    refused(withWeights(reference, { tie_word_embeddings: true }), /"embed_out\.weight" differs from "gpt_neox\.embed_in\.weight", which contradicts .*config\.json \(tie_word_embeddings: true\)/);
    refused(withWeights(without('embed_out.weight')), /missing tensor "embed_out\.weight"/);
  });

  it('refuses folders without weights, without config.json, or that are not folders', () => {
    const empty = folder();
    writeFileSync(path.join(empty, 'tokenizer.json'), '{}');
    refused(empty, /no weights found \(looked for model\.safetensors, model\.safetensors\.index\.json, pytorch_model\.bin, pytorch_model\.bin\.index\.json; the folder has config\.json, tokenizer\.json\)/);
    refused(path.join(tmp, 'does-not-exist'), /no such checkpoint folder/);
    const noConfig = path.join(tmp, 'no-config');
    mkdirSync(noConfig);
    writeFileSync(path.join(noConfig, 'model.safetensors'), serializeSafetensors(reference));
    refused(noConfig, /config\.json: no config\.json/);
    refused(path.join(noConfig, 'model.safetensors'), /not a folder/);
    const badConfig = withWeights(reference);
    writeFileSync(path.join(badConfig, 'config.json'), '{"vocab_size": ');
    refused(badConfig, /config\.json: not valid JSON/);
    writeFileSync(path.join(badConfig, 'config.json'), JSON.stringify({ architectures: ['GPTJForCausalLM'], vocab_size: 97 }));
    refused(badConfig, /unsupported architecture \["GPTJForCausalLM"\]/);
  });

  it('refuses corrupt weights files with the file named', () => {
    const dir = folder();
    const full = serializeSafetensors(reference);
    writeFileSync(path.join(dir, 'model.safetensors'), full.subarray(0, full.length - 1000));
    refused(dir, /model\.safetensors: tensor .* past the end of the data section/);
    const bin = folder();
    const bytes = readFileSync(path.join(fixture('neox-tiny-bin'), 'pytorch_model.bin'));
    writeFileSync(path.join(bin, 'pytorch_model.bin'), bytes.subarray(0, bytes.length - 30));
    refused(bin, /pytorch_model\.bin: not a zip archive|no end of central directory/);
    const flipped = Buffer.from(bytes);
    flipped[20000] ^= 0x40; // inside a storage: CRC-32 catches it
    writeFileSync(path.join(bin, 'pytorch_model.bin'), flipped);
    refused(bin, /pytorch_model\.bin: entry "pytorch_model\/data\/\d+": CRC-32 mismatch/);
  });

  it('refuses a pytorch_model.bin whose pickle asks for os.system, and runs nothing', () => {
    const dir = folder();
    const canary = path.join(dir, 'canary');
    const evil = new Pickle().proto(2).global('os', 'system').str(`touch ${canary}`).op(0x85).reduce().stop().bytes();
    // A storage as large as the config's weights, so that the archive passes the size check and
    // the pickle itself is what is refused.
    writeFileSync(path.join(dir, 'pytorch_model.bin'), torchBin(evil, { '0': new Uint8Array(1 << 20) }));
    refused(dir, /pytorch_model\.bin: archive\/data\.pkl: pickle refused: it asks for the global "os\.system".*Nothing was executed/);
    expect(existsSync(canary)).to.equal(false);
  });
});

describe('checkpoint: content hash', () => {
  /** The documented scheme, computed here with node:crypto directly. */
  function referenceHash(dir: string, files: string[]): string {
    const h = createHash('sha256');
    for (const f of files) {
      const bytes = readFileSync(path.join(dir, f));
      h.update(`${f}\n${bytes.length}\n`);
      h.update(bytes);
    }
    return h.digest('hex');
  }

  it('is SHA-256 over config.json and the weights that loadCheckpoint reads', async () => {
    expect(await checkpointHash(fixture('neox-tiny'))).to.equal(referenceHash(fixture('neox-tiny'), ['config.json', 'model.safetensors']));
    expect(await checkpointHash(fixture('neox-tiny-f16-bin'))).to.equal(referenceHash(fixture('neox-tiny-f16-bin'), ['config.json', 'pytorch_model.bin']));
  });

  it('does not depend on where the folder is, and changes with any byte', async () => {
    const tmp = mkdtempSync(path.join(os.tmpdir(), 'cntlens-hash-'));
    try {
      const copy = path.join(tmp, 'copy');
      mkdirSync(copy);
      for (const f of ['config.json', 'model.safetensors', 'expected.json']) copyFileSync(path.join(fixture('neox-tiny-f16'), f), path.join(copy, f));
      const original = await checkpointHash(fixture('neox-tiny-f16'));
      expect(await checkpointHash(copy)).to.equal(original);
      const weights = readFileSync(path.join(copy, 'model.safetensors'));
      weights[weights.length - 1] ^= 1;
      writeFileSync(path.join(copy, 'model.safetensors'), weights);
      expect(await checkpointHash(copy)).to.not.equal(original);
      writeFileSync(path.join(copy, 'expected.json'), '{}'); // not part of the checkpoint
      weights[weights.length - 1] ^= 1;
      writeFileSync(path.join(copy, 'model.safetensors'), weights);
      expect(await checkpointHash(copy)).to.equal(original);
      rmSync(path.join(copy, 'model.safetensors'));
      let caught: unknown;
      await checkpointHash(copy).catch((err) => (caught = err));
      expect(caught).to.be.instanceOf(InputError);
      expect((caught as Error).message).to.match(/no weights found/);
    } finally {
      rmSync(tmp, { recursive: true, force: true });
    }
  });
});
