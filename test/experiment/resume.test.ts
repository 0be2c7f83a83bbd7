/**
 * Acceptance: `cntlens experiment` is resumable. A run killed with SIGKILL in the middle and then
 * rerun gives exactly the results of a run that was never interrupted, without recomputing the
 * checkpoints finished before the kill; records are keyed by checkpoint content and settings; a
 * corrupt checkpoint is skipped with a clear message, or stops the run under --strict.
 */
import { expect } from 'chai';
import { copyFileSync, cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { compareResultDirs, fastExperimentSettings, makeCheckpointSeries, REPO_ROOT, writeConfigFile } from './helpers.js';
import { expectedCheckpointHash, fileIdentity, killGroup, readCsv, runCli, spawnCli, waitFor } from './helpers-resume.js';

const PAUSE_PLUGIN = path.join(REPO_ROOT, 'test', 'experiment', 'pause-plugin.ts');
const STEPS = [0, 1000, 2000, 3000, 4000, 5000];

interface ManifestCheckpoint {
  name: string;
  step: number;
  hash: string | null;
  status: string;
  error?: string;
}

function manifestCheckpoints(out: string): ManifestCheckpoint[] {
  return (JSON.parse(readFileSync(path.join(out, 'manifest.json'), 'utf8')) as { checkpoints: ManifestCheckpoint[] }).checkpoints;
}

/** The per-checkpoint files of `step`. */
function stepFiles(out: string, step: number): string[] {
  return [`records/${step}.json`, `influence/${step}.json`, `graphs/${step}.gexf`].map((f) => path.join(out, f));
}

describe('experiment: resume after SIGKILL', function () {
  this.timeout(900_000);
  let tmp: string;
  let seriesDir: string;
  let configFile: string;
  let refDir: string;
  const args = (out: string, series = seriesDir): string[] => ['experiment', '--config', configFile, '--checkpoints', series, '--out', out];

  before(async () => {
    tmp = mkdtempSync(path.join(os.tmpdir(), 'cntlens-resume-'));
    seriesDir = path.join(tmp, 'series');
    makeCheckpointSeries(seriesDir, STEPS.length, { steps: STEPS });
    // workers 1: the per-checkpoint stage runs in the CLI's own thread, so SIGKILL of the group
    // stops everything at once. The pause plug-in is inert unless its variable is set.
    configFile = writeConfigFile(path.join(tmp, 'settings.json'), fastExperimentSettings({ workers: 1, plugins: [PAUSE_PLUGIN] }));
    // The uninterrupted run, made at the same path as the interrupted one and then moved aside:
    // the report records the results folder it was written to.
    const out = path.join(tmp, 'results');
    const run = await runCli([...args(out), '--quiet']);
    expect(run.code, run.stderr).to.equal(0);
    refDir = path.join(tmp, 'reference');
    renameSync(out, refDir);
  });
  after(() => rmSync(tmp, { recursive: true, force: true }));

  it('a run killed mid-way and rerun equals an uninterrupted run, and keeps what was finished', async () => {
    const out = path.join(tmp, 'results');
    const paused = path.join(tmp, 'paused');
    const child = spawnCli([...args(out), '--quiet'], { CNTLENS_TEST_PAUSE_AFTER: '2', CNTLENS_TEST_PAUSED_FILE: paused });
    let childErr = '';
    child.stderr!.on('data', (d: Buffer) => (childErr += d.toString()));
    let records: string[];
    let signal: NodeJS.Signals | null;
    try {
      await waitFor(() => existsSync(paused), 'the run to reach its third checkpoint', {
        abort: () => (child.exitCode !== null ? `the run exited early (${child.exitCode}): ${childErr}` : null),
      });
      records = readdirSync(path.join(out, 'records')).sort();
    } finally {
      // Two checkpoints done, the third loaded and in progress: kill the whole process group
      // (also when waiting failed: the paused process would hang forever).
      signal = await killGroup(child);
    }
    expect(signal).to.equal('SIGKILL');
    expect(records).to.deep.equal(['0.json', '1000.json']);
    expect(existsSync(path.join(out, 'manifest.json'))).to.equal(false);
    expect(existsSync(path.join(out, 'metrics.csv'))).to.equal(false);

    const finished = [0, 1000].flatMap((s) => stepFiles(out, s));
    const before = finished.map(fileIdentity);
    // What a kill during the third checkpoint's writes could leave: its influence file written
    // (here a stale one, to be sure it is not trusted without a record) and a half-written
    // temporary file of its graph (writeFileAtomic's naming).
    copyFileSync(path.join(out, 'influence', '0.json'), path.join(out, 'influence', '2000.json'));
    writeFileSync(path.join(out, 'graphs', '2000.gexf.tmp-4242-k1ll3d'), '<?xml version="1.0" encoding="UTF-8"?>\n<gexf');

    const rerun = await runCli(args(out));
    expect(rerun.code, rerun.stderr).to.equal(0);
    expect(rerun.stderr).to.include('2 checkpoint(s) already done, 4 to compute');

    expect(compareResultDirs(refDir, out)).to.deep.equal([]);
    expect(manifestCheckpoints(out).map((c) => [c.step, c.status])).to.deep.equal([
      [0, 'reused'], [1000, 'reused'], [2000, 'computed'], [3000, 'computed'], [4000, 'computed'], [5000, 'computed'],
    ]);
    // Not recomputed: the very same files (inode, modification time, bytes).
    expect(finished.map(fileIdentity)).to.deep.equal(before);
  });

  it('reruns recompute exactly the checkpoints whose bytes or settings changed', async () => {
    // A copy of the finished results and of the series at other paths: records are keyed by
    // content and settings, not by where things live.
    const out = path.join(tmp, 'changed-results');
    const series = path.join(tmp, 'changed-series');
    cpSync(refDir, out, { recursive: true });
    cpSync(seriesDir, series, { recursive: true });
    const other = path.join(tmp, 'other-series');
    makeCheckpointSeries(other, STEPS.length, { steps: STEPS, seed: 99 });
    copyFileSync(path.join(other, 'step4000', 'model.safetensors'), path.join(series, 'step4000', 'model.safetensors'));
    const kept = stepFiles(out, 0).map(fileIdentity);
    const oldRecord = readFileSync(path.join(out, 'records', '4000.json'), 'utf8');

    const run = await runCli([...args(out, series), '--quiet']);
    expect(run.code, run.stderr).to.equal(0);
    const statuses = manifestCheckpoints(out);
    expect(statuses.map((c) => c.status)).to.deep.equal(['reused', 'reused', 'reused', 'reused', 'computed', 'reused']);
    expect(statuses.map((c) => c.hash)).to.deep.equal(STEPS.map((s) => expectedCheckpointHash(path.join(series, `step${s}`))));
    const record = JSON.parse(readFileSync(path.join(out, 'records', '4000.json'), 'utf8')) as { key: { checkpoint: string } };
    expect(record.key.checkpoint).to.equal(expectedCheckpointHash(path.join(series, 'step4000')));
    expect(readFileSync(path.join(out, 'records', '4000.json'), 'utf8')).to.not.equal(oldRecord);
    expect(stepFiles(out, 0).map(fileIdentity)).to.deep.equal(kept);

    // Another seed changes the prompts and the draws: nothing can be reused.
    const reseeded = await runCli([...args(out, series), '--quiet', '--seed', '1']);
    expect(reseeded.code, reseeded.stderr).to.equal(0);
    expect(manifestCheckpoints(out).map((c) => c.status)).to.deep.equal(STEPS.map(() => 'computed'));
  });
});

describe('experiment: corrupt checkpoints', function () {
  this.timeout(900_000);
  let tmp: string;
  let seriesDir: string;
  let configFile: string;

  before(() => {
    tmp = mkdtempSync(path.join(os.tmpdir(), 'cntlens-corrupt-'));
    seriesDir = path.join(tmp, 'series');
    makeCheckpointSeries(seriesDir, STEPS.length, { steps: STEPS });
    // step2000: weights cut short (found when the model is loaded); step3000: config.json broken
    // (found while the series is checked, before any computing).
    const weights = path.join(seriesDir, 'step2000', 'model.safetensors');
    truncateSync(weights, Math.floor(readFileSync(weights).length / 2));
    writeFileSync(path.join(seriesDir, 'step3000', 'config.json'), '{"hidden_size": 64,');
    configFile = writeConfigFile(path.join(tmp, 'settings.json'), fastExperimentSettings({ workers: 1 }));
  });
  after(() => rmSync(tmp, { recursive: true, force: true }));

  const weightsProblem = (): RegExp => new RegExp(`^${escape(path.join(seriesDir, 'step2000', 'model.safetensors'))}: .*past the end`);
  const configProblem = (): RegExp => new RegExp(`^${escape(path.join(seriesDir, 'step3000', 'config.json'))}: not valid JSON`);

  it('skips them with a message naming the file and the problem, and analyses the rest', async () => {
    const out = path.join(tmp, 'results');
    const run = await runCli(['experiment', '--config', configFile, '--checkpoints', seriesDir, '--out', out, '--quiet']);
    expect(run.code, run.stderr).to.equal(0);
    const lines = run.stderr.trim().split('\n');
    expect(lines).to.have.length(2);
    const skipped = lines.map((l) => /^cntlens: skipping (step\d+): (.*)$/.exec(l));
    expect(skipped.map((m) => m?.[1])).to.have.members(['step2000', 'step3000']);
    const message = (name: string): string => skipped.find((m) => m?.[1] === name)![2];
    expect(message('step2000')).to.match(weightsProblem());
    expect(message('step3000')).to.match(configProblem());

    const statuses = manifestCheckpoints(out);
    expect(statuses.map((c) => c.status)).to.deep.equal(['computed', 'computed', 'failed', 'failed', 'computed', 'computed']);
    expect(statuses[2].error).to.equal(message('step2000'));
    expect(statuses[3].error).to.equal(message('step3000'));
    expect(readCsv(path.join(out, 'metrics.csv')).rows.map((r) => r[0])).to.deep.equal(['0', '1000', '4000', '5000']);
    for (const step of [2000, 3000]) for (const file of stepFiles(out, step)) expect(existsSync(file), file).to.equal(false);
  });

  it('with --strict, the run stops with that message (weights that cannot be loaded)', async () => {
    const out = path.join(tmp, 'strict-weights');
    const run = await runCli(['experiment', '--config', configFile, '--checkpoints', seriesDir, '--steps', '0,1000,2000,4000', '--out', out, '--quiet', '--strict']);
    expect(run.code).to.equal(1);
    const lines = run.stderr.trim().split('\n');
    expect(lines).to.have.length(1);
    const m = /^cntlens experiment: (.*)$/.exec(lines[0]);
    expect(m, lines[0]).to.not.equal(null);
    expect(m![1]).to.match(new RegExp(weightsProblem().source.slice(1)));
    expect(existsSync(path.join(out, 'manifest.json'))).to.equal(false);
    expect(existsSync(path.join(out, 'metrics.csv'))).to.equal(false);
    expect(existsSync(path.join(out, 'records', '4000.json'))).to.equal(false);
  });

  it('with --strict, the run stops with that message (a broken config.json)', async () => {
    const out = path.join(tmp, 'strict-config');
    const run = await runCli(['experiment', '--config', configFile, '--checkpoints', seriesDir, '--steps', '0,1000,3000,4000', '--out', out, '--quiet', '--strict']);
    expect(run.code).to.equal(1);
    const lines = run.stderr.trim().split('\n');
    expect(lines).to.have.length(1);
    expect(lines[0].replace(/^cntlens experiment: /, '')).to.match(configProblem());
    expect(existsSync(path.join(out, 'manifest.json'))).to.equal(false);
    expect(existsSync(path.join(out, 'records', '4000.json'))).to.equal(false);
  });
});

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
