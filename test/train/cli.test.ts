import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { tempDir, TINY_OVERRIDES } from './helpers.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const BIN = path.join(ROOT, 'bin', 'cntlens.js');

function cntlens(args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [BIN, ...args], { cwd: ROOT, encoding: 'utf8', env: { ...process.env, CNTLENS_BACKEND: 'wasm' } });
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

  it('--help describes the options', () => {
    const r = cntlens(['train', '--help']);
    expect(r.status).to.equal(0);
    for (const opt of ['--out', '--config', '--steps', '--seed', '--dtype', '--overwrite', '--backend']) expect(r.stdout).to.contain(opt);
  });
});
