import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import * as tf from '@tensorflow/tfjs';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { initBackend } from '../../lib/model/backend.js';
import { resolveTrainConfig } from '../../lib/train/config.js';
import { createTrainableModelFactory } from '../../lib/train/model.js';
import { Trainer } from '../../lib/train/trainer.js';
import { tempDir, TINY_OVERRIDES } from './helpers.js';
import { CLI_ARGS } from '../cli/bin.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

function cntlens(args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [...CLI_ARGS, ...args], { cwd: ROOT, encoding: 'utf8', env: { ...process.env, CNTLENS_BACKEND: 'wasm' } });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('cntlens train (CLI)', function () {
  // Spawning the CLI (TypeScript through tsx, TF.js start-up) takes seconds per call.
  this.timeout(300_000);
  let tmp: { dir: string; cleanup: () => void };
  let configFile: string;
  before(() => {
    tmp = tempDir('train-cli');
    configFile = path.join(tmp.dir, 'tiny.json');
    writeFileSync(configFile, JSON.stringify(TINY_OVERRIDES));
  });
  after(() => tmp.cleanup());

  it('trains a tiny config and saves the checkpoints, then reuses the finished run', () => {
    const out = path.join(tmp.dir, 'run');
    const first = cntlens(['train', '--config', configFile, '--steps', '3', '--seed', '5', '--out', out]);
    expect(first.status, first.stderr).to.equal(0);
    // The progress bar (stderr): step count, ETA, loss.
    expect(first.stderr).to.match(/train .* 3\/3 .*ETA .*loss \d/);
    expect(first.stdout).to.match(/4 checkpoints in /);
    expect(first.stdout).to.match(/best induction-head score/);
    expect(readdirSync(out).filter((n) => n.startsWith('step')).sort()).to.deep.equal(['step0', 'step1', 'step2', 'step3']);
    for (const f of ['train-log.csv', 'train-config.json', 'train-done.json']) expect(existsSync(path.join(out, f)), f).to.equal(true);

    const again = cntlens(['train', '--config', configFile, '--steps', '3', '--seed', '5', '--out', out, '--quiet']);
    expect(again.status, again.stderr).to.equal(0);
    expect(again.stdout).to.match(/already holds this run/);

    const other = cntlens(['train', '--config', configFile, '--steps', '3', '--seed', '6', '--out', out, '--quiet']);
    expect(other.status).to.equal(1);
    expect(other.stderr).to.match(/^cntlens train: --out: .*other settings/);
  });

  it('refuses bad input with one line, exit 1 and no output folder', () => {
    // Each spawn costs a few seconds of start-up: one case per kind of error.
    const cases: Array<[string[], RegExp]> = [
      [['--steps', '0'], /--steps: must be an integer >= 1, got "0"/],
      [['--frobnicate'], /frobnicate/],
    ];
    for (const [args, message] of cases) {
      const out = path.join(tmp.dir, 'never');
      const r = cntlens(['train', ...args, '--out', out, '--quiet']);
      expect(r.status, args.join(' ')).to.equal(1);
      expect(r.stderr.trim().split('\n'), args.join(' ')).to.have.length(1);
      expect(r.stderr, args.join(' ')).to.match(message);
      expect(existsSync(out), args.join(' ')).to.equal(false);
    }
    const badKey = path.join(tmp.dir, 'bad.json');
    writeFileSync(badKey, JSON.stringify({ optim: { learning_rate: 1 } }));
    const r = cntlens(['train', '--config', badKey, '--out', path.join(tmp.dir, 'never')]);
    expect(r.status).to.equal(1);
    expect(r.stderr).to.contain(`${badKey}: unknown key "optim.learning_rate"`);
    expect(existsSync(path.join(tmp.dir, 'never'))).to.equal(false);
  });

  it('`cntlens forward` on a saved checkpoint gives the logits the training code computed (within 1e-5)', async () => {
    await initBackend({ backend: 'wasm', quiet: true });
    const out = path.join(tmp.dir, 'run'); // trained above: seed 5, 3 steps
    // The training code, in this process: the same settings, two updates, then its own forward.
    const config = resolveTrainConfig({ ...TINY_OVERRIDES, steps: 3, seed: 5 });
    const trainer = new Trainer(config, createTrainableModelFactory(config.embedding).factory);
    trainer.update();
    trainer.update();
    const tokens = [[0, 3, 9, 1, 3, 9, 1, 15], [0, 7, 7, 2, 11, 5, 7, 7]];
    const input = tf.tensor2d(tokens, undefined, 'int32');
    const logits = trainer.model.forward(input).logits;
    const expected = logits.arraySync() as number[][][];
    tf.dispose([input, logits]);
    trainer.dispose();

    const tokensFile = path.join(tmp.dir, 'tokens.json');
    const logitsFile = path.join(tmp.dir, 'logits.json');
    writeFileSync(tokensFile, JSON.stringify({ tokens }));
    const r = cntlens(['forward', '--model', path.join(out, 'step2'), '--tokens', tokensFile, '--out', logitsFile]);
    expect(r.status, r.stderr).to.equal(0);
    const got = JSON.parse(readFileSync(logitsFile, 'utf8')).logits as number[][][];
    expect([got.length, got[0].length, got[0][0].length]).to.deep.equal([2, 8, 16]);
    let worst = 0;
    got.forEach((row, b) => row.forEach((pos, p) => pos.forEach((x, v) => (worst = Math.max(worst, Math.abs(x - expected[b][p][v]))))));
    expect(worst).to.be.at.most(1e-5);
  });

  it('--help describes the options', () => {
    const r = cntlens(['train', '--help']);
    expect(r.status).to.equal(0);
    for (const opt of ['--out', '--config', '--steps', '--seed', '--dtype', '--overwrite', '--backend']) expect(r.stdout).to.contain(opt);
  });
});
