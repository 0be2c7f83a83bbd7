import { expect } from 'chai';
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { command } from '../../lib/cli/commands/influence.js';
import { GOLDEN_PROMPTS_FILE, TINY_DIR, maxAbsDiff, readGolden } from './helpers.js';
import { CLI_ARGS } from '../cli/bin.js';

async function expectRejects(promise: Promise<unknown>, pattern: RegExp): Promise<void> {
  let error: unknown = null;
  try {
    await promise;
  } catch (err) {
    error = err;
  }
  expect((error as Error)?.message ?? 'no error').to.match(pattern);
}

const run = promisify(execFile);
const here = path.dirname(fileURLToPath(import.meta.url));
const ROOT = path.resolve(here, '../..');
const PLUGINS = path.join(here, 'fixtures');

interface Outcome { code: number; stdout: string; stderr: string }

async function cntlens(args: string[]): Promise<Outcome> {
  try {
    const { stdout, stderr } = await run(process.execPath, [...CLI_ARGS, 'influence', ...args], { cwd: ROOT, env: { ...process.env, CNTLENS_BACKEND: 'wasm' } });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

describe('cntlens influence (CLI)', function () {
  this.timeout(300000);
  const dir = mkdtempSync(path.join(tmpdir(), 'cntlens-influence-'));
  const golden = readGolden();
  const goldenArgs = ['--model', TINY_DIR, '--prompts', GOLDEN_PROMPTS_FILE, '--loss-positions', '10:20', '--quiet'];

  function expectGolden(file: string): Record<string, unknown> {
    const out = JSON.parse(readFileSync(file, 'utf8')) as { nodes: string[]; matrix: number[][]; ci_low: number[][]; ci_high: number[][]; delta_loss: Record<string, number>; clean_loss: number; settings: Record<string, unknown> };
    expect(out.nodes).to.deep.equal(golden.nodes);
    expect(maxAbsDiff(out.matrix, golden.matrix)).to.be.below(1e-4);
    for (const [node, value] of Object.entries(golden.delta_loss)) expect(out.delta_loss[node]).to.be.closeTo(value, 1e-4);
    expect(out.clean_loss).to.be.closeTo(golden.clean_loss, 1e-4);
    expect(out.ci_low).to.have.length(golden.nodes.length);
    expect(out.ci_high[0]).to.have.length(golden.nodes.length);
    return out as unknown as Record<string, unknown>;
  }

  it('reproduces the influence golden of neox-tiny within 1e-4', async () => {
    const file = path.join(dir, 'golden.json');
    const { code, stderr } = await cntlens([...goldenArgs, '--out', file]);
    expect(code, stderr).to.equal(0);
    const out = expectGolden(file);
    expect((out.settings as { ablation: string }).ablation).to.equal('zero');
    expect(out).to.not.have.property('per_prompt');
  });

  it('loads ablation types from --plugin modules (self-registering and default-exported)', async () => {
    const blank = path.join(dir, 'blank.json');
    const r1 = await cntlens([...goldenArgs, '--plugin', path.join(PLUGINS, 'blank-ablation.ts'), '--ablation', 'blank', '--out', blank]);
    expect(r1.code, r1.stderr).to.equal(0);
    expect((expectGolden(blank).settings as { ablation: string }).ablation).to.equal('blank');

    const keep = path.join(dir, 'keep.json');
    const r2 = await cntlens([...goldenArgs, '--plugin', path.join(PLUGINS, 'keep-ablation.ts'), '--ablation', 'keep', '--per-prompt', '--out', keep]);
    expect(r2.code, r2.stderr).to.equal(0);
    const out = JSON.parse(readFileSync(keep, 'utf8')) as { matrix: number[][]; delta_loss: Record<string, number>; settings: { ablation: string }; per_prompt: unknown };
    expect(out.settings.ablation).to.equal('keep');
    for (const row of out.matrix) for (const w of row) expect(Math.abs(w)).to.be.below(1e-5);
    for (const d of Object.values(out.delta_loss)) expect(Math.abs(d)).to.be.below(1e-5);
    expect(out).to.have.property('per_prompt');
  });

  it('fails cleanly (exit 1, one line, no stack, no file) on bad input', async () => {
    const file = path.join(dir, 'never.json');
    const cases: [string[], RegExp][] = [
      [['--ablation', 'nope'], /--ablation: unknown ablation "nope" \(known: mean, noise, resample, zero\)/],
      [['--positions', '3:50'], /--positions: range 3:50 goes past the 21 positions/],
    ];
    for (const [extra, pattern] of cases) {
      const { code, stderr } = await cntlens([...goldenArgs, ...extra, '--out', file]);
      expect(code, extra.join(' ')).to.equal(1);
      expect(stderr).to.match(pattern);
      expect(stderr).to.not.match(/\n\s+at /); // no stack trace
      expect(existsSync(file)).to.equal(false);
    }
  });

  it('checks its options before any work (in process)', async () => {
    const file = path.join(dir, 'never2.json');
    const cases: [string[], RegExp][] = [
      [['--positions', '5-9'], /--positions: expected "all" or a half-open range/],
      [['--plugin', path.join(dir, 'missing.ts')], /missing\.ts: no such plug-in file/],
      [['--bogus'], /Unknown option '--bogus'/],
      [['--measure', 'l1'], /--measure: unknown measure "l1"/],
      [['--task', 'induction'], /--task: give either --prompts FILE or --task/],
      [['--bootstrap=-1'], /--bootstrap: must be at least 0/],
      [['--ci-level', '1.5'], /--ci-level: must be a number in \(0, 1\)/],
      [['--workers', '0'], /--workers: must be at least 1/],
      [['--naive', '--workers', '2'], /--workers: applies to the fast sweep only/],
    ];
    for (const [extra, pattern] of cases) {
      let error: unknown = null;
      try {
        await command.run([...goldenArgs, ...extra, '--out', file]);
      } catch (err) {
        error = err;
      }
      expect(error, extra.join(' ')).to.be.instanceOf(Error);
      expect((error as Error).message).to.match(pattern);
    }
    let missing: unknown = null;
    try {
      await command.run(['--model', path.join(dir, 'nothing'), '--out', file, '--quiet']);
    } catch (err) {
      missing = err;
    }
    expect((missing as Error).message).to.match(/no such checkpoint folder/);
    await expectRejects(command.run(['--out', file]), /--model: required/);
    await expectRejects(command.run(['--model', TINY_DIR]), /--out: required/);
    expect(existsSync(file)).to.equal(false);
  });

  it('documents every option it parses', () => {
    for (const option of ['--model', '--prompts', '--task', '--n-prompts', '--half-len', '--token-range', '--bos', '--ablation', '--measure',
      '--positions', '--loss-positions', '--seed', '--bootstrap', '--ci-level', '--icl-window', '--plugin', '--naive', '--workers', '--out', '--per-prompt',
      '--quiet', '--backend']) {
      expect(command.usage).to.include(option);
    }
  });
});
