/**
 * Scale-out of `cntlens experiment`: a pool of worker threads, and shards merged by `cntlens
 * merge`, must give byte-identical results folders to a single worker in a single process (only
 * manifest.json's record of how the run went may differ, see compareResultDirs).
 */
import { expect } from 'chai';
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { resolveExperimentConfig } from '../../lib/experiment/config.js';
import { runExperiment } from '../../lib/experiment/pipeline.js';
import { checkpointHash } from '../../lib/model/checkpoint.js';
import { mapInPool } from '../../lib/util/pool.js';
import { compareResultDirs, fastExperimentSettings, listFiles, makeCheckpointSeries, runCli, tempDir, writeConfigFile } from './helpers.js';

const STEPS = [0, 1000, 2000, 3000, 4000, 5000];
/** The per-checkpoint files every complete run holds, and the series-level ones. */
const PER_CHECKPOINT = STEPS.flatMap((s) => [`graphs/${s}.gexf`, `influence/${s}.json`, `records/${s}.json`, `replicates/${s}.json`]);
const SERIES_FILES = ['manifest.json', 'metrics.csv', 'nodes.csv', 'phases.json', 'plan.json', 'report.html'];
const FIGURES = ['behaviour', 'communities', 'graph', 'heatmap', 'metrics', 'roles'].flatMap((f) => [`figures/${f}.svg`, `figures/${f}.png`]);

describe('experiment: results folders compared (helpers)', () => {
  let tmp: { dir: string; cleanup: () => void };
  beforeEach(() => {
    tmp = tempDir('compare');
  });
  afterEach(() => tmp.cleanup());

  const write = (dir: string, files: Record<string, string>): string => {
    for (const [name, text] of Object.entries(files)) {
      mkdirSync(path.dirname(path.join(dir, name)), { recursive: true });
      writeFileSync(path.join(dir, name), text);
    }
    return dir;
  };

  it('finds a one-byte difference, a missing file, and a changed manifest field; ignores timings', () => {
    const manifest = (status: string, seconds: number, backend: string): string =>
      JSON.stringify({ backend, checkpoints: [{ step: 0, status, seconds }], timings: { per_checkpoint_stage_s: seconds } });
    const a = write(path.join(tmp.dir, 'a'), { 'x/1.json': '[1.5]', 'only-a.txt': '', 'manifest.json': manifest('computed', 1, 'wasm') });
    const b = write(path.join(tmp.dir, 'b'), { 'x/1.json': '[1.6]', 'manifest.json': manifest('reused', 2, 'wasm') });
    const diffs = compareResultDirs(a, b);
    expect(diffs).to.have.length(2);
    expect(diffs[0]).to.match(/^only-a\.txt: only in /);
    expect(diffs[1]).to.match(/^x\/1\.json: differs/);
    write(b, { 'manifest.json': manifest('reused', 2, 'cpu') });
    const manifestOnly = compareResultDirs(a, b, { ignore: ['only-a.txt', 'x/'] });
    expect(manifestOnly).to.have.length(1);
    expect(manifestOnly[0]).to.match(/^manifest\.json: differs .*"backend\\": \\"wasm\\".* vs .*"backend\\": \\"cpu\\"/);
    write(b, { 'manifest.json': manifest('reused', 2, 'wasm') });
    expect(compareResultDirs(a, b, { ignore: ['only-a.txt', 'x/'] })).to.deep.equal([]);
  });

  it('makes a deterministic series of distinct checkpoints', async () => {
    const first = makeCheckpointSeries(path.join(tmp.dir, 'one'), 3, { steps: [0, 10, 20] });
    const second = makeCheckpointSeries(path.join(tmp.dir, 'two'), 3, { steps: [0, 10, 20] });
    expect(first.map((d) => path.basename(d))).to.deep.equal(['step0', 'step10', 'step20']);
    const hashes = await Promise.all(first.map((d) => checkpointHash(d)));
    expect(new Set(hashes).size).to.equal(3);
    expect(await Promise.all(second.map((d) => checkpointHash(d)))).to.deep.equal(hashes);
  });
});

describe('experiment: the worker pool when a worker thread dies', function () {
  this.timeout(60_000);
  const exitModule = path.join(path.dirname(fileURLToPath(import.meta.url)), 'pool-exit.fixture.ts');
  const failure = async (run: () => Promise<unknown>): Promise<Error> => {
    try {
      await run();
    } catch (err) {
      return err as Error;
    }
    throw new Error('expected the pool to fail');
  };

  it('fails (does not hang) when a worker exits while on the last item', async () => {
    const err = await failure(() => mapInPool(['a', 'b', 'exit'], { module: exitModule, workers: 2 }));
    expect(err.message).to.equal('worker thread exited with code 3 while processing item 2');
  });

  it('fails when every worker exits before taking an item', async () => {
    const err = await failure(() => mapInPool(['a', 'b', 'c'], { module: exitModule, init: { exitInInit: true }, workers: 2 }));
    expect(err.message).to.equal('worker thread exited with code 4 before taking an item');
  });

  it('still returns every result in order when no worker dies', async () => {
    expect(await mapInPool(['a', 'b', 'c'], { module: exitModule, workers: 2 })).to.deep.equal(['A', 'B', 'C']);
  });
});

describe('experiment: worker pool, shards and merge give the single-worker results', function () {
  // Six fixture-sized checkpoints per run, and a few CLI start-ups (seconds each).
  this.timeout(600_000);
  let tmp: { dir: string; cleanup: () => void };
  let checkpoints: string;
  let configFile: string;
  /** Every run writes here (the results folder's path is part of its settings), then moves away. */
  let out: string;
  let single: string;
  // Figures on: the static SVG/PNG figures must be identical too.
  const settings = (): Record<string, unknown> => fastExperimentSettings({ checkpoints, out, report: { figures: true } });

  /** Move the results folder of the last run to `name` and return its new path. */
  const keep = (name: string): string => {
    const to = path.join(tmp.dir, name);
    renameSync(out, to);
    return to;
  };

  before(async () => {
    tmp = tempDir('scale');
    checkpoints = path.join(tmp.dir, 'checkpoints');
    out = path.join(tmp.dir, 'run', 'results');
    makeCheckpointSeries(checkpoints, STEPS.length, { steps: STEPS });
    configFile = writeConfigFile(path.join(tmp.dir, 'fast.json'), settings());
    const config = resolveExperimentConfig({ ...settings(), workers: 1 }, 'test');
    const result = await runExperiment(config, { quiet: true });
    expect(result.checkpoints.map((c) => c.status)).to.deep.equal(STEPS.map(() => 'computed'));
    single = keep('single');
  });
  after(() => tmp?.cleanup());

  it('the single-worker reference run is complete', () => {
    const files = listFiles(single);
    for (const f of [...PER_CHECKPOINT, ...SERIES_FILES, ...FIGURES]) expect(files, f).to.include(f);
    const manifest = JSON.parse(readFileSync(path.join(single, 'manifest.json'), 'utf8'));
    expect(manifest.timings.workers).to.equal(1);
    expect(manifest.settings).to.not.have.property('workers');
  });

  it('--workers 2 writes byte-identical results', async () => {
    const config = resolveExperimentConfig({ ...settings(), workers: 2 }, 'test');
    await runExperiment(config, { quiet: true });
    const pooled = keep('workers2');
    const manifest = JSON.parse(readFileSync(path.join(pooled, 'manifest.json'), 'utf8'));
    expect(manifest.timings.workers, 'two worker threads ran').to.equal(2);
    expect(compareResultDirs(single, pooled)).to.deep.equal([]);
  });

  it('shards 0/2 and 1/2 then `cntlens merge` write byte-identical results; merge refuses while a shard is missing', () => {
    const shard = (k: number): void => {
      const r = runCli(['experiment', '--config', configFile, '--workers', '1', '--shard', `${k}/2`, '--quiet']);
      expect(r.status, r.stderr).to.equal(0);
    };
    shard(0);
    // Round robin over the step-sorted series: shard 0 of 2 takes the 1st, 3rd and 5th checkpoints.
    expect(listFiles(path.join(out, 'records'))).to.deep.equal(['0.json', '2000.json', '4000.json']);
    expect(listFiles(path.join(out, 'shards'))).to.deep.equal(['0-of-2.json']);

    const early = runCli(['merge', out]);
    expect(early.status).to.equal(1);
    expect(early.stderr.trim()).to.equal("cntlens merge: 3 of 6 checkpoint(s) have no results with the plan's settings yet: step1000, step3000, step5000 (is every shard finished?)");
    for (const f of SERIES_FILES.filter((f) => f !== 'plan.json')) expect(existsSync(path.join(out, f)), `${f} not written`).to.equal(false);

    shard(1);
    expect(listFiles(path.join(out, 'records'))).to.deep.equal(STEPS.map((s) => `${s}.json`).sort());
    const merged = runCli(['merge', out, '--quiet']);
    expect(merged.status, merged.stderr).to.equal(0);
    const sharded = keep('sharded');
    expect(compareResultDirs(single, sharded, { ignore: ['shards/'] })).to.deep.equal([]);
  });

  it('merge does not count records left by an earlier run with other settings', () => {
    rmSync(out, { recursive: true, force: true });
    const r0 = runCli(['experiment', '--config', configFile, '--workers', '1', '--shard', '0/2', '--quiet']);
    expect(r0.status, r0.stderr).to.equal(0);
    // Shard 1 runs with another seed: the plan now says seed 3, and shard 0's records are stale.
    const r1 = runCli(['experiment', '--config', configFile, '--workers', '1', '--shard', '1/2', '--seed', '3', '--quiet']);
    expect(r1.status, r1.stderr).to.equal(0);
    const merge = runCli(['merge', out]);
    expect(merge.status).to.equal(1);
    expect(merge.stderr).to.contain('3 of 6 checkpoint(s) have no results with the plan\'s settings yet: step0, step2000, step4000');
    expect(existsSync(path.join(out, 'report.html'))).to.equal(false);
  });
});
