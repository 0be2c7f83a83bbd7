/**
 * Acceptance: the experiment's settings. Unknown keys and bad values in a --config file, and bad
 * flags, give a one-line error naming the file or the flag (exit 1, no stack trace, nothing
 * written); flags override the file; the settings in effect are echoed in manifest.json.
 */
import { expect } from 'chai';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { readExperimentConfig, resolveExperimentConfig } from '../../lib/experiment/config.js';
import { InputError } from '../../lib/util/errors.js';
import { makeCheckpointSeries, writeConfigFile } from './helpers.js';
import { runCli, type CliOutcome } from './helpers-resume.js';

/** The documented defaults (docs/experiment.md), written out here rather than read from the code. */
const DOCUMENTED_DEFAULTS = {
  checkpoints: 'default',
  steps: 'all',
  out: 'results',
  trainDir: 'data/tiny-neox',
  train: {},
  task: { prompts: null, nPrompts: 8, halfLen: null, seed: 0, tokenRange: null },
  influence: { ablation: 'zero', measure: 'cosine', positions: 'all', lossPositions: null, seed: 0, bootstrapResamples: 1000 },
  graph: { logits: 'keep', normalize: 'none', distance: 'inverse', rolesK: 5, louvainSeed: 0 },
  phases: { method: 'pelt', model: 'linear', warmup: 'auto', axis: 'auto', penalty: null, minSize: 3, bootstrap: { replicates: 100, seed: 0 } },
  findings: { resamples: 200, nullDraws: 200, junctureDraws: 10000, tailDraws: 50, level: 0.05, seed: 0 },
  report: { figures: true },
  backend: 'wasm',
  workers: 0,
  strict: false,
  plugins: [],
};

function thrown(fn: () => unknown): Error {
  try {
    fn();
  } catch (err) {
    return err as Error;
  }
  throw new Error('expected an error');
}

describe('experiment config: resolveExperimentConfig', () => {
  it('starts from the documented defaults and merges sections key by key', () => {
    expect(resolveExperimentConfig({}, 'x.json')).to.deep.equal(DOCUMENTED_DEFAULTS);
    const c = resolveExperimentConfig({ task: { nPrompts: 3 }, graph: { logits: 'drop' }, train: { steps: 10 }, workers: 2 }, 'x.json');
    expect(c.task).to.deep.equal({ ...DOCUMENTED_DEFAULTS.task, nPrompts: 3 });
    expect(c.graph).to.deep.equal({ ...DOCUMENTED_DEFAULTS.graph, logits: 'drop' });
    expect(c.train).to.deep.equal({ steps: 10 });
    expect(c.workers).to.equal(2);
    // A second layer (the flags) overrides only what it names.
    const d = resolveExperimentConfig({ task: { seed: 4 } }, '--seed', c);
    expect(d.task).to.deep.equal({ ...DOCUMENTED_DEFAULTS.task, nPrompts: 3, seed: 4 });
    expect(d.workers).to.equal(2);
  });

  it('merges the phases.bootstrap sub-object key by key', () => {
    const c = resolveExperimentConfig({ phases: { bootstrap: { replicates: 20 } } }, 'x.json');
    expect(c.phases).to.deep.equal({ ...DOCUMENTED_DEFAULTS.phases, bootstrap: { replicates: 20, seed: 0 } });
    const d = resolveExperimentConfig({ phases: { bootstrap: { seed: 3 }, minSize: 4 } }, '--flags', c);
    expect(d.phases).to.deep.equal({ ...DOCUMENTED_DEFAULTS.phases, minSize: 4, bootstrap: { replicates: 20, seed: 3 } });
    // The defaults themselves are not changed.
    expect(resolveExperimentConfig({}, 'x.json').phases.bootstrap).to.deep.equal({ replicates: 100, seed: 0 });
  });

  it('refuses unknown keys, naming the source and the key', () => {
    const top = thrown(() => resolveExperimentConfig({ nPrompts: 3 }, 'my.json'));
    expect(top).to.be.instanceOf(InputError);
    expect(top.message).to.match(/^my\.json: unknown setting "nPrompts" \(known: checkpoints, steps, .*plugins\)$/);
    const inner = thrown(() => resolveExperimentConfig({ task: { n_prompts: 3 } }, 'my.json'));
    expect(inner.message).to.match(/^my\.json: unknown setting "task\.n_prompts" \(known: prompts, nPrompts, halfLen, seed, tokenRange\)$/);
  });

  const badValues: [unknown, RegExp][] = [
    [[], /the experiment config must be a JSON object/],
    [{ workers: -1 }, /"workers" must be an integer >= 0, got -1/],
    [{ workers: '2' }, /"workers" must be an integer >= 0, got "2"/],
    [{ task: 3 }, /"task" must be an object, got 3/],
    [{ task: { halfLen: 0 } }, /"task\.halfLen" must be an integer >= 1, got 0/],
    [{ task: { tokenRange: [5, 1] } }, /"task\.tokenRange" must be \[from, to\]/],
    [{ graph: { logits: 'maybe' } }, /"graph\.logits" must be one of keep, drop, got "maybe"/],
    [{ phases: { penalty: 0 } }, /"phases\.penalty" must be a positive number or null, got 0/],
    [{ report: { figures: 'no' } }, /"report\.figures" must be true or false, got "no"/],
    [{ plugins: 'a.ts' }, /"plugins" must be a list of strings/],
    [{ influence: { measure: 'l1' } }, /"influence\.measure" must be one of cosine, relative_l2, kl, got "l1"/],
    [{ influence: { positions: '5-9' } }, /"influence\.positions" .*got "5-9"/],
    [{ influence: { lossPositions: 'all of them' } }, /"influence\.lossPositions" .*got "all of them"/],
    [{ phases: { bootstrap: 100 } }, /"phases\.bootstrap" must be an object, got 100/],
    [{ phases: { bootstrap: { replicates: -1 } } }, /"phases\.bootstrap\.replicates" must be an integer >= 0, got -1/],
    [{ phases: { bootstrap: { resamples: 10 } } }, /unknown setting "phases\.bootstrap\.resamples" \(known: replicates, seed\)/],
    [{ phases: { warmup: 'soon' } }, /"phases\.warmup" must be "auto" or a number of steps >= 0, got "soon"/],
    [{ phases: { model: 'cubic' } }, /"phases\.model" must be one of linear, constant, got "cubic"/],
    [{ findings: { level: 1.5 } }, /"findings\.level" must be a number between 0 and 1 \(exclusive\), got 1\.5/],
    [{ findings: { nullDraws: 1 } }, /"findings\.nullDraws" must be an integer >= 2, got 1/],
    [{ findings: { draws: 10 } }, /unknown setting "findings\.draws" \(known: resamples, nullDraws, junctureDraws, tailDraws, level, seed\)/],
  ];
  for (const [value, problem] of badValues) {
    it(`refuses ${JSON.stringify(value)} with a message naming the file and the key`, () => {
      const err = thrown(() => resolveExperimentConfig(value, 'my.json'));
      expect(err).to.be.instanceOf(InputError);
      expect(err.message.startsWith('my.json: ')).to.equal(true, err.message);
      expect(err.message).to.match(problem);
      expect(err.message).to.not.include('\n');
    });
  }

  it('names the file when it is not JSON', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'cntlens-config-'));
    try {
      const file = path.join(dir, 'broken.json');
      writeFileSync(file, '{"task": {');
      expect(thrown(() => readExperimentConfig(file)).message).to.match(new RegExp(`^${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: not valid JSON`));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('experiment config: the command line', function () {
  this.timeout(900_000);
  let tmp: string;
  let seriesDir: string;

  before(() => {
    tmp = mkdtempSync(path.join(os.tmpdir(), 'cntlens-config-cli-'));
    seriesDir = path.join(tmp, 'series');
    makeCheckpointSeries(seriesDir, 3);
  });
  after(() => rmSync(tmp, { recursive: true, force: true }));

  /** Run `experiment` with `args` into a fresh results folder; returns the outcome and that folder. */
  async function experiment(args: string[], name: string): Promise<CliOutcome & { out: string }> {
    const out = path.join(tmp, `out-${name}`);
    const run = await runCli(['experiment', '--checkpoints', seriesDir, '--out', out, '--n-prompts', '2', '--half-len', '8', '--workers', '1', '--no-figures', '--quiet', ...args]);
    return { ...run, out };
  }

  /** Each case fails cleanly (below); three CLI processes at a time. */
  async function expectCleanFailures(name: string, cases: [string[], RegExp][]): Promise<void> {
    let next = 0;
    const worker = async (): Promise<void> => {
      while (next < cases.length) {
        const i = next++;
        expectCleanFailure(await experiment(cases[i][0], `${name}${i}`), cases[i][1]);
      }
    };
    await Promise.all([worker(), worker(), worker()]);
  }

  /** One line on stderr, `cntlens experiment: <message>`, exit 1, no stack, no results folder. */
  function expectCleanFailure(run: CliOutcome & { out: string }, message: RegExp): void {
    expect(run.code, run.stderr).to.equal(1);
    expect(run.stderr.endsWith('\n')).to.equal(true, run.stderr);
    const lines = run.stderr.slice(0, -1).split('\n');
    expect(lines, run.stderr).to.have.length(1);
    expect(lines[0]).to.match(/^cntlens experiment: /);
    expect(lines[0].slice('cntlens experiment: '.length)).to.match(message);
    expect(run.stderr).to.not.match(/\bat .*:\d+:\d+/); // no stack frames
    expect(run.stdout).to.equal('');
    expect(existsSync(run.out), `${run.out} was written`).to.equal(false);
  }

  it('config files: unknown keys, bad values, bad JSON and missing files name the file', async () => {
    const unknown = writeConfigFile(path.join(tmp, 'unknown.json'), { influence: { measure: 'cosine', bootstrap: 100 } });
    const bad = writeConfigFile(path.join(tmp, 'bad.json'), { phases: { method: 'kmeans' } });
    const measure = writeConfigFile(path.join(tmp, 'measure.json'), { influence: { measure: 'l1' } });
    const broken = path.join(tmp, 'broken.json');
    writeFileSync(broken, '{"task": {"nPrompts": 2,}}');
    const missing = path.join(tmp, 'missing.json');
    await expectCleanFailures('file', [
      [['--config', unknown], new RegExp(`^${escape(unknown)}: unknown setting "influence\\.bootstrap" \\(known: .*bootstrapResamples\\)$`)],
      [['--config', bad], new RegExp(`^${escape(bad)}: "phases\\.method" must be one of pelt, binseg, got "kmeans"$`)],
      [['--config', measure], new RegExp(`^${escape(measure)}: "influence\\.measure" must be one of cosine, relative_l2, kl, got "l1"$`)],
      [['--config', broken], new RegExp(`^${escape(broken)}: not valid JSON`)],
      [['--config', missing], new RegExp(`^${escape(missing)}: no such file or directory$`)],
    ]);
  });

  it('bad flags name the flag', async () => {
    await expectCleanFailures('flag', [
      [['--n-prompts', 'abc'], /^--n-prompts: /],
      [['--half-len', '0'], /^--half-len: /],
      [['--half-len', '100'], /^--half-len: .*128/], // 201-token prompts, the model's context is 128
      [['--penalty', 'abc'], /^--penalty: /],
      [['--min-size', '0'], /^--min-size: /],
      [['--min-size', '2'], /^phases\.minSize: must be at least 3 with the linear phase model/],
      [['--phase-model', 'cubic'], /^--phase-model: "phases\.model" must be one of linear, constant/],
      [['--warmup', 'soon'], /^--warmup: /],
      [['--backend', 'tpu'], /^--backend: .*tpu/],
      [['--measure', 'l1'], /^--measure: .*l1/],
      [['--ablation', 'bogus'], /^--ablation: .*bogus/],
      [['--positions', '5-9'], /^--positions: .*5-9/],
      [['--loss-positions', '10:99'], /^--loss-positions: /],
      [['--shard', '3/2'], /^--shard: /],
      [['--steps', '0,1500'], /^--steps: .*1500/],
      [['--frobnicate'], /'--frobnicate'/],
      [['--prompts', path.join(tmp, 'no-prompts.json')], new RegExp(`^${escape(path.join(tmp, 'no-prompts.json'))}: no such file`)],
      [['--plugin', path.join(tmp, 'no-plugin.ts')], new RegExp(`^${escape(path.join(tmp, 'no-plugin.ts'))}: no such plug-in file`)],
      [['--checkpoints', path.join(tmp, 'nowhere')], new RegExp(`^${escape(path.join(tmp, 'nowhere'))}: no such folder or file`)],
    ]);
  });

  it('flags override the file, and manifest.json echoes the settings in effect', async () => {
    const file = writeConfigFile(path.join(tmp, 'settings.json'), {
      task: { nPrompts: 3, halfLen: 6 },
      influence: { measure: 'relative_l2', bootstrapResamples: 50 },
      graph: { rolesK: 3 },
      phases: { minSize: 2, model: 'constant' },
      report: { figures: false },
      workers: 1,
    });
    const out = path.join(tmp, 'echo');
    const run = await runCli(['experiment', '--config', file, '--checkpoints', seriesDir, '--out', out, '--quiet', '--n-prompts', '2', '--seed', '5', '--min-size', '1', '--ablation', 'mean']);
    expect(run.code, run.stderr).to.equal(0);
    const manifest = JSON.parse(readFileSync(path.join(out, 'manifest.json'), 'utf8')) as { settings: Record<string, unknown> };
    expect(manifest.settings).to.deep.equal({
      checkpoints: seriesDir,
      steps: 'all',
      out,
      trainDir: 'data/tiny-neox',
      train: {},
      task: { prompts: null, nPrompts: 2, halfLen: 6, seed: 5, tokenRange: null },
      influence: { ablation: 'mean', measure: 'relative_l2', positions: 'all', lossPositions: null, seed: 5, bootstrapResamples: 50 },
      graph: { logits: 'keep', normalize: 'none', distance: 'inverse', rolesK: 3, louvainSeed: 0 },
      phases: { method: 'pelt', model: 'constant', warmup: 'auto', axis: 'auto', penalty: null, minSize: 1, bootstrap: { replicates: 100, seed: 0 } },
      findings: { resamples: 200, nullDraws: 200, junctureDraws: 10000, tailDraws: 50, level: 0.05, seed: 0 },
      report: { figures: false },
      backend: 'wasm',
      strict: false,
      plugins: [],
    });
    // …and they are the settings the sweep actually used.
    const influence = JSON.parse(readFileSync(path.join(out, 'influence', '0.json'), 'utf8')) as { settings: Record<string, unknown> };
    expect(influence.settings).to.include({ measure: 'relative_l2', ablation: 'mean', n_prompts: 2, seq_len: 13, seed: 5 });
    expect((influence.settings.bootstrap as { resamples: number }).resamples).to.equal(50);
  });
});

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
