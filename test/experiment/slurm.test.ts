/**
 * Slurm for real: a single-node cluster (munged, slurmctld, slurmd from Debian's munge and
 * slurm-wlm, configured in a temporary folder; see slurm-cluster.ts) runs examples/slurm/submit.sh
 * — the very scripts a user submits — as a two-task job array plus the dependent merge job, on a
 * series of fixture checkpoints. The merged results folder must be byte-identical to a
 * single-process run's (see compareResultDirs).
 *
 * Skipped, with the reason printed, where Slurm or munge is not installed, where this is not root,
 * or where the daemons do not come up (a failure instead under .ci/run, which installs them and
 * sets CNTLENS_REQUIRE=slurm); the daemons are stopped in every case. The jobs run the checkout's
 * compiled CLI (dist/), which `npm test` builds first.
 */
import { expect } from 'chai';
import { spawn } from 'node:child_process';
import { readFileSync, renameSync } from 'node:fs';
import path from 'node:path';
import { resolveExperimentConfig } from '../../lib/experiment/config.js';
import { runExperiment } from '../../lib/experiment/pipeline.js';
import { compareResultDirs, fastExperimentSettings, listFiles, makeCheckpointSeries, REPO_ROOT, tempDir, writeConfigFile } from './helpers.js';
import { buildCheckout } from '../package/consumer.js';
import { skipMissing } from '../requirements.js';
import { slurmPrerequisites, startSlurmCluster, SlurmUnavailable, type SlurmCluster } from './slurm-cluster.js';

const SUBMIT = path.join(REPO_ROOT, 'examples', 'slurm', 'submit.sh');
const STEPS = [0, 1000, 2000, 3000, 4000];
/** Bounds on each phase, so a stuck cluster fails the test instead of hanging CI. */
const START_TIMEOUT_MS = 60_000;
const JOBS_TIMEOUT_MS = 300_000;

describe('experiment on Slurm: examples/slurm as a job array + merge', function () {
  this.timeout(START_TIMEOUT_MS + JOBS_TIMEOUT_MS + 120_000);
  let tmp: { dir: string; cleanup: () => void } | null = null;
  let cluster: SlurmCluster | null = null;

  before(async function () {
    // Says why in the output; a failure instead where .ci/run requires Slurm (test/requirements.ts).
    const skip = (reason: string): never => skipMissing(this, 'slurm', reason);
    const missing = slurmPrerequisites();
    if (missing) return skip(missing);
    buildCheckout(); // the job scripts run dist/bin/cntlens.js
    tmp = tempDir('slurm');
    try {
      cluster = await startSlurmCluster(path.join(tmp.dir, 'slurm'), { timeoutMs: START_TIMEOUT_MS });
    } catch (err) {
      if (err instanceof SlurmUnavailable) return skip(`Slurm did not start: ${err.message}`);
      throw err;
    }
  });

  after(async () => {
    await cluster?.stop();
    tmp?.cleanup();
  });

  it('two shards and the merge job write what a single process writes', async () => {
    const dir = tmp!.dir;
    const checkpoints = path.join(dir, 'checkpoints');
    makeCheckpointSeries(checkpoints, STEPS.length, { steps: STEPS });
    const out = path.join(dir, 'results');
    const settings = fastExperimentSettings({ checkpoints, out });
    const configFile = writeConfigFile(path.join(dir, 'fast.json'), settings);

    // The reference: one process, one worker; moved away so the jobs write to the same path.
    await runExperiment(resolveExperimentConfig({ ...settings, workers: 1 }, 'test'), { quiet: true });
    const single = path.join(dir, 'single');
    renameSync(out, single);

    const logs = path.join(dir, 'logs');
    const r = await run(SUBMIT, ['--shards', '2', '--out', out, '--logs', logs, '--wait', '--', '--config', configFile, '--quiet'], {
      cwd: dir, env: { ...cluster!.env, CNTLENS_POLL_SECONDS: '1' }, timeoutMs: JOBS_TIMEOUT_MS,
    });
    const jobLogs = listFiles(logs).map((f) => `--- ${f}\n${readFileSync(path.join(logs, f), 'utf8')}`).join('\n');
    const context = `submit.sh exit ${r.status}${r.signal ? ` (${r.signal}: timed out?)` : ''}\n${r.stdout}${r.stderr}\n${jobLogs}\n${cluster!.logTail()}`;
    expect(r.status, context).to.equal(0);

    // Slurm really ran an array of two tasks and a merge job.
    const arrayJob = /^array job (\d+): 2 shard\(s\)/m.exec(r.stdout)?.[1];
    const mergeJob = /^merge job (\d+): /m.exec(r.stdout)?.[1];
    expect(arrayJob, context).to.be.a('string');
    expect(mergeJob, context).to.be.a('string');
    expect(listFiles(logs)).to.deep.equal([`cntlens-${arrayJob}_0.log`, `cntlens-${arrayJob}_1.log`, `cntlens-merge-${mergeJob}.log`].sort());
    expect(readFileSync(path.join(logs, `cntlens-${arrayJob}_1.log`), 'utf8')).to.contain(`shard 1/2 of job ${arrayJob}`);
    expect(listFiles(path.join(out, 'shards'))).to.deep.equal(['0-of-2.json', '1-of-2.json']);

    expect(listFiles(out)).to.include.members(['report.html', 'phases.json', ...STEPS.map((s) => `records/${s}.json`)]);
    expect(compareResultDirs(single, out, { ignore: ['shards/'] })).to.deep.equal([]);
  });
});

/**
 * Run a command without blocking the event loop (the daemons' output pipes keep draining),
 * killing it after `timeoutMs`.
 */
function run(command: string, args: string[], options: { cwd: string; env: NodeJS.ProcessEnv; timeoutMs: number }): Promise<{ status: number | null; signal: string | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd: options.cwd, env: options.env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs);
    child.on('error', reject);
    child.on('close', (status, signal) => {
      clearTimeout(timer);
      resolve({ status, signal, stdout, stderr });
    });
  });
}
