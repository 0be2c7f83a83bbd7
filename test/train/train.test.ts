import * as tf from '@tensorflow/tfjs';
import { expect } from 'chai';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { initBackend } from '../../lib/model/backend.js';
import { loadCheckpoint } from '../../lib/model/checkpoint.js';
import { OptionError } from '../../lib/util/errors.js';
import { parseLog } from '../../lib/train/log.js';
import { CONFIG_FILE, DONE_FILE, ensureTrained, LOG_FILE, readFinishedRun, trainTinyModel } from '../../lib/train/train.js';
import { tempDir, TINY_OVERRIDES } from './helpers.js';

before(async () => {
  await initBackend({ quiet: true });
});

/** Every file of a run folder except the timing in train-done.json, as bytes. */
function runFiles(dir: string): Map<string, Buffer> {
  const out = new Map<string, Buffer>();
  for (const name of readdirSync(dir).sort()) {
    const full = path.join(dir, name);
    if (statSync(full).isDirectory()) {
      for (const f of readdirSync(full).sort()) out.set(`${name}/${f}`, readFileSync(path.join(full, f)));
    } else if (name !== DONE_FILE) {
      out.set(name, readFileSync(full));
    }
  }
  return out;
}

describe('train/train (whole runs on disk)', () => {
  let tmp: { dir: string; cleanup: () => void };
  before(() => {
    tmp = tempDir('train');
  });
  after(() => tmp.cleanup());

  it('writes HF checkpoints on the schedule, the log and the done marker', async () => {
    const dir = path.join(tmp.dir, 'a');
    const tensorsBefore = tf.memory().numTensors;
    const result = await trainTinyModel(dir, { config: TINY_OVERRIDES, quiet: true });
    // Everything (variables, optimiser state, intermediates) is released afterwards.
    expect(tf.memory().numTensors).to.equal(tensorsBefore);
    // 6 steps, 3 evenly spaced (2, 4, 6) plus powers of two below 2: 0, 1, 2, 4, 6.
    expect(result.summary.checkpoints).to.deep.equal(['step0', 'step1', 'step2', 'step4', 'step6']);
    expect(result.reused).to.equal(false);
    for (const c of result.summary.checkpoints) {
      const config = JSON.parse(readFileSync(path.join(dir, c, 'config.json'), 'utf8'));
      expect(config.architectures).to.deep.equal(['GPTNeoXForCausalLM']);
      expect(config.model_type).to.equal('gpt_neox');
      expect(config.torch_dtype).to.equal('float32');
      expect(existsSync(path.join(dir, c, 'model.safetensors'))).to.equal(true);
    }
    // No temporaries left behind.
    expect(readdirSync(dir).filter((n) => n.startsWith('.'))).to.deep.equal([]);
    const rows = parseLog(readFileSync(path.join(dir, LOG_FILE), 'utf8'));
    // Evaluated every 2 steps and at every checkpoint.
    expect(rows.map((r) => r.step)).to.deep.equal([0, 1, 2, 4, 6]);
    for (const r of rows) {
      expect(Number.isFinite(r.loss) && Number.isFinite(r.repeatedHalfLoss)).to.equal(true);
      expect(r.bestInductionScore).to.be.within(0, 1);
    }
    expect(rows[rows.length - 1].lr).to.equal(0);
    expect(JSON.parse(readFileSync(path.join(dir, CONFIG_FILE), 'utf8')).seed).to.equal(7);
    const done = readFinishedRun(dir)!;
    expect(done.settingsHash).to.equal(result.summary.settingsHash);
    expect(done.phaseChange.initialScore).to.equal(rows[0].bestInductionScore);
  });

  it('the same seed gives byte-identical checkpoints and log twice in a row', async () => {
    const a = path.join(tmp.dir, 'a');
    const b = path.join(tmp.dir, 'b');
    await trainTinyModel(b, { config: TINY_OVERRIDES, quiet: true });
    const fa = runFiles(a);
    const fb = runFiles(b);
    expect([...fb.keys()]).to.deep.equal([...fa.keys()]);
    for (const [name, bytes] of fa) expect(bytes.equals(fb.get(name)!), name).to.equal(true);
  });

  it('F16 checkpoints are F16 safetensors that load to the F32 run rounded', async () => {
    const dir = path.join(tmp.dir, 'f16');
    await trainTinyModel(dir, { config: { ...TINY_OVERRIDES, checkpoints: { evenly: 3, dtype: 'F16' } }, quiet: true });
    const raw = readFileSync(path.join(dir, 'step6', 'model.safetensors'));
    const headerLen = Number(raw.readBigUInt64LE(0));
    const header = JSON.parse(raw.subarray(8, 8 + headerLen).toString('utf8'));
    expect(header['embed_out.weight'].dtype).to.equal('F16');
    const f32 = loadCheckpoint(path.join(tmp.dir, 'a', 'step6')).stateDict.get('embed_out.weight')!.data;
    const f16 = loadCheckpoint(path.join(dir, 'step6')).stateDict.get('embed_out.weight')!.data;
    // Half precision keeps 11 significant bits.
    f32.forEach((x, i) => expect(Math.abs(f16[i] - x)).to.be.at.most(Math.abs(x) * 2 ** -11 + 2 ** -24));
  });

  it('ensureTrained reuses a finished run with the same settings and refuses other settings', async () => {
    const dir = path.join(tmp.dir, 'a');
    const stamp = statSync(path.join(dir, 'step6', 'model.safetensors')).mtimeMs;
    const again = await ensureTrained(dir, { config: TINY_OVERRIDES, quiet: true });
    expect(again.reused).to.equal(true);
    expect(again.checkpoints.map((c) => path.basename(c))).to.deep.equal(['step0', 'step1', 'step2', 'step4', 'step6']);
    expect(statSync(path.join(dir, 'step6', 'model.safetensors')).mtimeMs).to.equal(stamp);

    let error: unknown;
    try {
      await ensureTrained(dir, { config: { ...TINY_OVERRIDES, seed: 8 }, quiet: true });
    } catch (err) {
      error = err;
    }
    expect(error).to.be.instanceOf(OptionError);
    expect((error as Error).message).to.match(/other settings/);
  });

  it('ensureTrained retrains when a checkpoint is missing or the run never finished', async () => {
    const dir = path.join(tmp.dir, 'crash');
    await trainTinyModel(dir, { config: { ...TINY_OVERRIDES, steps: 2 }, quiet: true });
    // Simulate a crash: no marker, a stray temporary folder, a half-written checkpoint name.
    const marker = path.join(dir, DONE_FILE);
    writeFileSync(marker, 'not json');
    mkdirSync(path.join(dir, `.step2.tmp-99999`));
    const result = await ensureTrained(dir, { config: { ...TINY_OVERRIDES, steps: 2 }, quiet: true });
    expect(result.reused).to.equal(false);
    expect(readdirSync(dir).filter((n) => n.startsWith('.'))).to.deep.equal([]);
    expect(readFinishedRun(dir)?.checkpoints).to.deep.equal(['step0', 'step1', 'step2']);

    // A finished run of the same settings with a checkpoint deleted is trained again, not refused.
    rmSync(path.join(dir, 'step1'), { recursive: true });
    const again = await ensureTrained(dir, { config: { ...TINY_OVERRIDES, steps: 2 }, quiet: true });
    expect(again.reused).to.equal(false);
    expect(existsSync(path.join(dir, 'step1', 'model.safetensors'))).to.equal(true);
  });

  it('refuses an output path that is a file, writing nothing', async () => {
    const file = path.join(tmp.dir, 'a-file');
    writeFileSync(file, 'x');
    let error: unknown;
    try {
      await ensureTrained(file, { config: TINY_OVERRIDES, quiet: true });
    } catch (err) {
      error = err;
    }
    expect(error).to.be.instanceOf(OptionError);
    expect((error as Error).message).to.match(/is a file, expected a folder/);
    expect(readFileSync(file, 'utf8')).to.equal('x');
  });

  it('overwrite replaces a finished run of other settings', async () => {
    const dir = path.join(tmp.dir, 'crash');
    const result = await ensureTrained(dir, { config: { ...TINY_OVERRIDES, steps: 3 }, quiet: true, overwrite: true });
    expect(result.reused).to.equal(false);
    expect(readdirSync(dir).filter((n) => n.startsWith('step')).sort()).to.deep.equal(['step0', 'step1', 'step2', 'step3']);
  });
});
