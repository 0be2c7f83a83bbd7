/**
 * `cntlens analyze --influence DIR --out RESULTS`: the series stage alone on a folder of influence
 * files.
 *
 * 1. On the influence folder of an experiment run it reproduces that run's metrics.csv, nodes.csv
 *    and phases.json byte for byte (same settings: the experiment's config file).
 * 2. A synthetic influence series (written here: a small model's components, zero where no edge
 *    can exist, per-prompt values and behaviour, a regime change midway) goes through it, with
 *    settings from --config and the phase flags.
 * 3. Each bad input stops it with exit 1 and one line naming the file, before anything is written.
 */
import { expect } from 'chai';
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { canInfluence, componentNodes } from '../../lib/ablation/nodes.js';
import { Rng } from '../../lib/util/rng.js';
import { fastExperimentSettings, makeCheckpointSeries, tempDir, writeConfigFile } from './helpers.js';
import { runCli, type CliOutcome } from './helpers-resume.js';

const readJson = <T>(file: string): T => JSON.parse(readFileSync(file, 'utf8')) as T;

interface PhasesJson {
  boundaries: number[];
  confidence: number[];
  phases: { start: number; end: number; label: string }[];
  warmup: { beforeStep: number } | null;
  detected: { step: number; confidence: number | null }[];
  settings: { model: string; minSize: number; penalty: number; penaltySource: string; warmup: number; confidence: { method: string; replicates?: number } };
}

/** The one line of a refused run: exit 1, one stderr line naming `file`, nothing written to `out`. */
function expectRefused(run: CliOutcome, out: string, file: string, problem: RegExp): void {
  expect(run.code, run.stderr).to.equal(1);
  const lines = run.stderr.split('\n').filter((l) => l !== '');
  expect(lines, run.stderr).to.have.length(1);
  expect(lines[0]).to.match(/^cntlens analyze: /);
  expect(lines[0]).to.include(file);
  expect(lines[0]).to.match(problem);
  expect(existsSync(out), `${out} was created`).to.equal(false);
}

describe('cntlens analyze: on an experiment\'s influence folder', function () {
  this.timeout(900_000);
  const STEPS = [0, 1000, 2000, 3000, 4000];
  let tmp: ReturnType<typeof tempDir>;
  let experimentOut: string;
  let configFile: string;

  before(async () => {
    tmp = tempDir('analyze');
    const seriesDir = path.join(tmp.dir, 'series');
    makeCheckpointSeries(seriesDir, STEPS.length, { steps: STEPS });
    // A small penalty so that there are boundaries (and confidences) to reproduce.
    configFile = writeConfigFile(path.join(tmp.dir, 'settings.json'), fastExperimentSettings({ workers: 2, phases: { penalty: 1 }, influence: { bootstrapResamples: 20 } }));
    experimentOut = path.join(tmp.dir, 'results');
    const run = await runCli(['experiment', '--config', configFile, '--checkpoints', seriesDir, '--out', experimentOut, '--quiet']);
    expect(run.code, run.stderr).to.equal(0);
  });
  after(() => tmp.cleanup());

  it('reproduces metrics.csv, nodes.csv and phases.json byte for byte, and writes the rest', async () => {
    const out = path.join(tmp.dir, 'analyzed');
    const run = await runCli(['analyze', '--influence', path.join(experimentOut, 'influence'), '--out', out, '--config', configFile]);
    expect(run.code, run.stderr).to.equal(0);
    for (const file of ['metrics.csv', 'nodes.csv', 'phases.json']) {
      expect(readFileSync(path.join(out, file), 'utf8'), file).to.equal(readFileSync(path.join(experimentOut, file), 'utf8'));
    }
    const phases = readJson<PhasesJson>(path.join(out, 'phases.json'));
    expect(phases.detected.length, 'the comparison has boundaries to compare').to.be.greaterThan(0);
    expect(phases.settings.confidence.method).to.equal('bootstrap');
    // Progress and the summary on stderr, like the experiment.
    expect(run.stderr).to.include('5 influence files');
    expect(run.stderr).to.match(/Results in /);

    expect(readdirSync(path.join(out, 'graphs')).sort()).to.deep.equal(STEPS.map((s) => `${s}.gexf`).sort());
    expect(readFileSync(path.join(out, 'report.html'), 'utf8')).to.match(/^<!doctype html>/i);
    const manifest = readJson<{ format: string; command: string; settings: Record<string, unknown>; checkpoints: { name: string; step: number; file: string }[]; files: Record<string, unknown> }>(path.join(out, 'manifest.json'));
    expect(manifest.format).to.equal('cntlens-results');
    expect(manifest.command).to.equal('analyze');
    expect(manifest.settings).to.include({ influenceDir: path.join(experimentOut, 'influence'), out });
    expect(manifest.settings.influence).to.deep.equal({ ablation: 'zero', measure: 'cosine' });
    expect(manifest.checkpoints.map((c) => [c.name, c.step, c.file])).to.deep.equal(STEPS.map((s) => [`step${s}`, s, path.join(experimentOut, 'influence', `${s}.json`)]));
    expect(manifest.files).to.include({ metrics: 'metrics.csv', graphs: 'graphs/<step>.gexf' });
    // Nothing but the series stage's files.
    expect(readdirSync(out).sort()).to.deep.equal(['graphs', 'manifest.json', 'metrics.csv', 'nodes.csv', 'phases.json', 'report.html']);
  });

  it('points from the experiment\'s results folder to its influence/ folder', async () => {
    const out = path.join(tmp.dir, 'wrong');
    const run = await runCli(['analyze', '--influence', experimentOut, '--out', out, '--quiet']);
    expectRefused(run, out, experimentOut, /influence files are in .*influence/);
  });

  it('refuses to write into the experiment\'s own results folder', async () => {
    const run = await runCli(['analyze', '--influence', path.join(experimentOut, 'influence'), '--out', experimentOut, '--quiet']);
    expect(run.code, run.stderr).to.equal(1);
    expect(run.stderr.trim().split('\n')).to.have.length(1);
    expect(run.stderr).to.include('plan.json');
  });
});

// --- a synthetic influence series ------------------------------------------------------------

const LAYERS = 2;
const HEADS = 2;
const NODES = componentNodes(LAYERS, HEADS);
const PROMPTS = 6;

interface SyntheticOptions {
  /** Training steps, one file per step. */
  steps: number[];
  /** Index of the first checkpoint of the second regime. */
  change: number;
  seed?: number;
  /** Name files step<N>.json without settings.step (default: <N>.json with settings.step). */
  stepInName?: boolean;
}

/**
 * An influence file per step, as `cntlens influence --per-prompt` writes them, for a 2-layer,
 * 2-head model with the sequential residual: entries only where an edge can exist (canInfluence),
 * per-prompt edge weights whose mean is the matrix, per-prompt behaviour. Before `change` the
 * layer-0 heads feed layer 1 and loss on the repeat is high; from `change` on an induction head
 * (L1H0) forms: its attention score and its edge to LOGITS jump, loss on the repeat drops.
 */
function writeSyntheticSeries(dir: string, options: SyntheticOptions): string[] {
  mkdirSync(dir, { recursive: true });
  const rng = new Rng(options.seed ?? 3);
  const files: string[] = [];
  options.steps.forEach((step, k) => {
    const after = k >= options.change ? 1 : 0;
    const drift = k / options.steps.length;
    const n = NODES.length;
    const edges: (number[] | null)[][] = NODES.map((source) => NODES.map((target) => {
      if (!canInfluence(source, target, false)) return null;
      let base = 0.04 + 0.1 * ((((source.index + 1) * 0.618 + (target.index + 1) * 0.414) % 1));
      if (source.layer === 0 && target.layer === 1) base += 0.3 * (1 - after) + 0.05 * drift;
      if (source.name === 'L1H0' && target.name === 'LOGITS') base += 0.6 * after;
      if (source.name === 'L0H1' && target.name === 'L1H0') base += 0.4 * after;
      return Array.from({ length: PROMPTS }, () => Math.max(1e-4, base * (1 + 0.05 * rng.normal())));
    }));
    const matrix = edges.map((row) => row.map((values) => (values === null ? 0 : values.reduce((s, x) => s + x, 0) / PROMPTS)));
    const perPrompt = (mean: number, spread: number): number[] => Array.from({ length: PROMPTS }, () => mean + spread * rng.normal());
    const mean = (values: number[]): number => values.reduce((s, x) => s + x, 0) / values.length;
    const repeatLoss = perPrompt(after ? 1.2 - 0.1 * drift : 4.5 - 0.2 * drift, 0.05);
    const iclScore = perPrompt(after ? -2 : -0.1, 0.05);
    const induction = Array.from({ length: LAYERS }, (_, l) => Array.from({ length: HEADS }, (_, h) => perPrompt(l === 1 && h === 0 && after ? 0.8 : 0.05 + 0.01 * h, 0.01)));
    const prevToken = Array.from({ length: LAYERS }, (_, l) => Array.from({ length: HEADS }, (_, h) => (l === 0 && h === 1 ? 0.7 * after + 0.1 : 0.05)));
    const deltaPer = Object.fromEntries(NODES.filter((x) => x.kind !== 'logits').map((x) => [x.name, perPrompt(0.01 + (x.name === 'L1H0' ? 0.5 * after : 0.02 * x.index), 0.005)]));
    const json = {
      nodes: NODES.map((x) => x.name),
      matrix,
      delta_loss: Object.fromEntries(Object.entries(deltaPer).map(([name, v]) => [name, mean(v)])),
      clean_loss: mean(repeatLoss) + 0.5,
      behaviour: {
        task: 'induction', half_len: 8, repeat_loss: mean(repeatLoss), icl_score: mean(iclScore), icl_window: 1,
        induction_scores: induction.map((layer) => layer.map(mean)),
        prev_token_scores: prevToken,
      },
      settings: { ...(options.stepInName ? {} : { step }), checkpoint: `ckpt-${step}`, ablation: 'zero', measure: 'cosine' },
      per_prompt: {
        edges,
        delta_loss: deltaPer,
        clean_loss: perPrompt(mean(repeatLoss) + 0.5, 0.01),
        behaviour: { repeat_loss: repeatLoss, icl_score: iclScore, induction_scores: induction },
      },
    };
    expect(json.matrix).to.have.length(n);
    const file = path.join(dir, options.stepInName ? `step${step}.json` : `${step}.json`);
    writeFileSync(file, JSON.stringify(json) + '\n');
    files.push(file);
  });
  return files;
}

describe('cntlens analyze: a synthetic influence series', function () {
  this.timeout(300_000);
  const STEPS = Array.from({ length: 12 }, (_, i) => i * 100);
  let tmp: ReturnType<typeof tempDir>;
  let dir: string;

  before(() => {
    tmp = tempDir('analyze-synthetic');
    dir = path.join(tmp.dir, 'influence');
    // Half the files carry settings.step, half are named step<N>.json.
    writeSyntheticSeries(dir, { steps: STEPS.slice(0, 6), change: 6 });
    const second = path.join(tmp.dir, 'second');
    writeSyntheticSeries(second, { steps: STEPS, change: 6, stepInName: true });
    for (const step of STEPS.slice(6)) copyFileSync(path.join(second, `step${step}.json`), path.join(dir, `step${step}.json`));
  });
  after(() => tmp.cleanup());

  it('gives phases.json with the settings of --config and --phase-model, and finds the change', async () => {
    const out = path.join(tmp.dir, 'constant');
    const config = writeConfigFile(path.join(tmp.dir, 'analyze.json'), { phases: { minSize: 2, bootstrap: { replicates: 20, seed: 1 } }, report: { figures: false }, graph: { rolesK: 3 } });
    const run = await runCli(['analyze', '--influence', dir, '--out', out, '--config', config, '--phase-model', 'constant', '--quiet']);
    expect(run.code, run.stderr).to.equal(0);
    expect(run.stderr).to.equal('');
    const phases = readJson<PhasesJson>(path.join(out, 'phases.json'));
    expect(phases.settings).to.include({ model: 'constant', minSize: 2, warmup: 0 });
    expect(phases.settings.confidence).to.include({ method: 'bootstrap', replicates: 20 });
    // The detection finds the regime change (whether it stays a boundary is up to the labels).
    expect(phases.detected.map((d) => d.step)).to.include(600);
    expect(phases.phases[0].start).to.equal(0);
    expect(phases.phases[phases.phases.length - 1].end).to.equal(1100);
    const metrics = readFileSync(path.join(out, 'metrics.csv'), 'utf8').trim().split('\n');
    expect(metrics).to.have.length(1 + STEPS.length);
    expect(metrics.slice(1).map((row) => Number(row.split(',')[0]))).to.deep.equal(STEPS);
    // rolesK from the config: three spreaders per checkpoint.
    const manifest = readJson<{ settings: { graph: { rolesK: number }; phases: { model: string } }; checkpoints: { name: string; step: number }[] }>(path.join(out, 'manifest.json'));
    expect(manifest.settings.graph.rolesK).to.equal(3);
    expect(manifest.settings.phases.model).to.equal('constant');
    expect(manifest.checkpoints.map((c) => c.name)).to.deep.equal(STEPS.map((s) => `ckpt-${s}`));
    expect(readdirSync(out)).to.not.include('figures');
  });

  it('defaults: the linear model, warm-up 0 unless given; --warmup and --penalty apply', async () => {
    const out = path.join(tmp.dir, 'defaults');
    const run = await runCli(['analyze', '--influence', dir, '--out', out, '--no-figures', '--quiet']);
    expect(run.code, run.stderr).to.equal(0);
    const phases = readJson<PhasesJson>(path.join(out, 'phases.json'));
    expect(phases.settings).to.include({ model: 'linear', minSize: 3, warmup: 0, penaltySource: 'default' });
    expect(phases.warmup).to.equal(null);

    const warm = path.join(tmp.dir, 'warmup');
    const again = await runCli(['analyze', '--influence', dir, '--out', warm, '--no-figures', '--quiet', '--warmup', '300', '--penalty', '2.5', '--min-size', '4']);
    expect(again.code, again.stderr).to.equal(0);
    const p = readJson<PhasesJson>(path.join(warm, 'phases.json'));
    expect(p.settings).to.include({ warmup: 300, penalty: 2.5, penaltySource: 'user', minSize: 4 });
    expect(p.warmup).to.include({ beforeStep: 300 });
  });
});

describe('cntlens analyze: bad input', function () {
  this.timeout(300_000);
  let tmp: ReturnType<typeof tempDir>;
  let good: string;

  before(() => {
    tmp = tempDir('analyze-bad');
    good = path.join(tmp.dir, 'good');
    writeSyntheticSeries(good, { steps: [0, 100, 200, 300], change: 2 });
  });
  after(() => tmp.cleanup());

  /** A copy of the good series in a fresh folder, changed by `edit`. */
  function variant(name: string, edit: (dir: string) => void): string {
    const dir = path.join(tmp.dir, name);
    mkdirSync(dir);
    for (const file of readdirSync(good)) copyFileSync(path.join(good, file), path.join(dir, file));
    edit(dir);
    return dir;
  }
  const editJson = (file: string, change: (json: Record<string, unknown>) => void): void => {
    const json = readJson<Record<string, unknown>>(file);
    change(json);
    writeFileSync(file, JSON.stringify(json));
  };
  const analyze = (dir: string, out: string, ...extra: string[]): Promise<CliOutcome> => runCli(['analyze', '--influence', dir, '--out', out, '--quiet', '--no-figures', ...extra]);

  it('a missing folder', async () => {
    const missing = path.join(tmp.dir, 'nowhere');
    const out = path.join(tmp.dir, 'out-missing');
    expectRefused(await analyze(missing, out), out, missing, /no such folder/);
  });

  it('a folder without .json files', async () => {
    const empty = path.join(tmp.dir, 'empty');
    mkdirSync(empty);
    writeFileSync(path.join(empty, 'notes.txt'), 'no influence here\n');
    const out = path.join(tmp.dir, 'out-empty');
    expectRefused(await analyze(empty, out), out, empty, /no influence files/);
  });

  it('a file that is not JSON, and one that is not an influence file', async () => {
    const broken = variant('broken', (dir) => writeFileSync(path.join(dir, '100.json'), '{"nodes": ['));
    const out = path.join(tmp.dir, 'out-broken');
    expectRefused(await analyze(broken, out), out, path.join(broken, '100.json'), /not valid JSON/);

    const other = variant('other', (dir) => writeFileSync(path.join(dir, '200.json'), JSON.stringify({ metrics: [1, 2, 3], settings: { step: 200 } })));
    expectRefused(await analyze(other, out), out, path.join(other, '200.json'), /"nodes"/);

    const square = variant('square', (dir) => editJson(path.join(dir, '300.json'), (j) => { (j.matrix as number[][]).pop(); }));
    expectRefused(await analyze(square, out), out, path.join(square, '300.json'), /square/);

    const negative = variant('negative', (dir) => editJson(path.join(dir, '200.json'), (j) => { (j.matrix as number[][])[0][3] = -0.5; }));
    expectRefused(await analyze(negative, out), out, path.join(negative, '200.json'), /matrix\[0\]\[3\] \(L0H0 on L1H0\) is -0\.5/);

    const behaviour = variant('behaviour', (dir) => editJson(path.join(dir, '0.json'), (j) => { (j.behaviour as Record<string, unknown>).induction_scores = 'high'; }));
    expectRefused(await analyze(behaviour, out), out, path.join(behaviour, '0.json'), /behaviour\.induction_scores/);

    const perPrompt = variant('per-prompt', (dir) => editJson(path.join(dir, '100.json'), (j) => { ((j.per_prompt as { edges: (number[] | null)[][] }).edges[0][3] as number[]).pop(); }));
    expectRefused(await analyze(perPrompt, out), out, path.join(perPrompt, '100.json'), /per_prompt\.edges\[0\]\[3\]/);
  });

  it('files with different node sets: names the file and the first differing node', async () => {
    const nodes = variant('nodes', (dir) => editJson(path.join(dir, '200.json'), (j) => {
      (j.nodes as string[])[3] = 'L1H7';
    }));
    const out = path.join(tmp.dir, 'out-nodes');
    expectRefused(await analyze(nodes, out), out, path.join(nodes, '200.json'), /node #3 is L1H7 where 0\.json has L1H0/);

    const fewer = path.join(tmp.dir, 'fewer');
    mkdirSync(fewer);
    writeSyntheticSeries(fewer, { steps: [0, 100], change: 1 });
    // A 1-layer model's file among 2-layer ones.
    const small = { nodes: ['L0H0', 'L0H1', 'L0MLP', 'LOGITS'], matrix: [[0, 0, 0.1, 0.2], [0, 0, 0.1, 0.2], [0, 0, 0, 0.3], [0, 0, 0, 0]], settings: { step: 200 } };
    writeFileSync(path.join(fewer, '200.json'), JSON.stringify(small));
    expectRefused(await analyze(fewer, out), out, path.join(fewer, '200.json'), /node #3 is LOGITS where 0\.json has L1H0/);
  });

  it('a file with no step, and two files with the same step', async () => {
    const noStep = variant('no-step', (dir) => {
      const file = path.join(dir, 'checkpoint-b.json');
      copyFileSync(path.join(dir, '300.json'), file);
      editJson(file, (j) => { delete (j.settings as Record<string, unknown>).step; });
    });
    const out = path.join(tmp.dir, 'out-step');
    expectRefused(await analyze(noStep, out), out, path.join(noStep, 'checkpoint-b.json'), /no step/);

    const twice = variant('twice', (dir) => {
      const file = path.join(dir, 'step100.json');
      copyFileSync(path.join(dir, '300.json'), file);
      editJson(file, (j) => { delete (j.settings as Record<string, unknown>).step; });
    });
    expectRefused(await analyze(twice, out), out, path.join(twice, 'step100.json'), /step 100 again: .*100\.json/);
  });

  it('fewer than 3 checkpoints', async () => {
    const two = path.join(tmp.dir, 'two');
    writeSyntheticSeries(two, { steps: [0, 100], change: 1 });
    const out = path.join(tmp.dir, 'out-two');
    expectRefused(await analyze(two, out), out, two, /at least 3 checkpoints/);
  });

  it('unknown options, a bad --config and bad flag values', async () => {
    const out = path.join(tmp.dir, 'out-options');
    const unknown = await analyze(good, out, '--checkpoints', 'x');
    expectRefused(unknown, out, '--checkpoints', /Unknown option/);

    const config = writeConfigFile(path.join(tmp.dir, 'bad.json'), { phases: { modle: 'constant' } });
    expectRefused(await analyze(good, out, '--config', config), out, config, /unknown setting "phases\.modle"/);

    expectRefused(await analyze(good, out, '--phase-model', 'cubic'), out, '--phase-model', /linear, constant/);
    expectRefused(await analyze(good, out, '--min-size', '2'), out, 'phases.minSize', /linear phase model/);

    const missing = await runCli(['analyze', '--influence', good]);
    expect(missing.code).to.equal(1);
    expect(missing.stderr).to.match(/^cntlens analyze: --out: /);
  });
});
