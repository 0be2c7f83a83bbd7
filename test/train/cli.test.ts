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

describe('cntlens train (CLI)', () => {
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
    const first = cntlens(['train', '--config', configFile, '--steps', '3', '--seed', '5', '--out', out, '--quiet']);
    expect(first.status, first.stderr).to.equal(0);
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

  it('prints a progress bar with step, loss and ETA', () => {
    const out = path.join(tmp.dir, 'progress');
    const r = cntlens(['train', '--config', configFile, '--steps', '2', '--out', out]);
    expect(r.status, r.stderr).to.equal(0);
    expect(r.stderr).to.match(/train .* 2\/2 .*ETA .*loss \d/);
  });

  it('refuses bad input with one line, exit 1 and no output folder', () => {
    const cases: Array<[string[], RegExp]> = [
      [['--steps', '0'], /--steps: must be an integer >= 1, got "0"/],
      [['--steps', 'ten'], /--steps: must be an integer/],
      [['--dtype', 'BF16'], /--dtype: must be F32 or F16/],
      [['--config', path.join(tmp.dir, 'missing.json')], /missing\.json: no such file/],
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
    const noOut = cntlens(['train', '--steps', '2']);
    expect(noOut.status).to.equal(1);
    expect(noOut.stderr).to.match(/--out: is required/);
  });

  it('--help describes the options', () => {
    const r = cntlens(['train', '--help']);
    expect(r.status).to.equal(0);
    for (const opt of ['--out', '--config', '--steps', '--seed', '--dtype', '--overwrite', '--backend']) expect(r.stdout).to.contain(opt);
  });
});
