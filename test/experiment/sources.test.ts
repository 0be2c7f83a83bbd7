/**
 * Acceptance: checkpoints from the Hugging Face hub cache. `hf:org/name` reads a cache laid out
 * by hand here (as huggingface_hub writes it) through resolveCheckpoints and through
 * `cntlens experiment` with HF_HUB_CACHE pointing at it, with results equal to reading the same
 * checkpoints from plain folders; and a cache filled by `cntlens fetch` from the loopback hub is
 * read back by `cntlens experiment` with no other step (and no network).
 */
import { expect } from 'chai';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { resolveCheckpoints } from '../../lib/checkpoints/sources.js';
import { InputError, OptionError } from '../../lib/util/errors.js';
import { startLoopbackHub } from '../hub/loopback-hub.js';
import { compareResultDirs, fastExperimentSettings, makeCheckpointSeries, writeConfigFile } from './helpers.js';
import { buildHubCache, expectedCheckpointHash, readCsv, runCli } from './helpers-resume.js';

const REPO = 'EleutherAI/pythia-cache-test';
const STEPS = [0, 1000, 2000, 3000];

interface Manifest {
  settings: { checkpoints: string };
  checkpoints: { name: string; step: number; dir: string; hash: string; status: string }[];
}

const readManifest = (out: string): Manifest => JSON.parse(readFileSync(path.join(out, 'manifest.json'), 'utf8')) as Manifest;

function thrown(fn: () => unknown): Error {
  try {
    fn();
  } catch (err) {
    return err as Error;
  }
  throw new Error('expected an error');
}

describe('experiment sources: the Hugging Face hub cache', function () {
  this.timeout(900_000);
  let tmp: string;
  let seriesDir: string;
  let cacheDir: string;
  let commits: Map<string, string>;
  let configFile: string;
  let folderResults: string;
  const repoDir = (): string => path.join(cacheDir, 'models--EleutherAI--pythia-cache-test');

  before(async () => {
    tmp = mkdtempSync(path.join(os.tmpdir(), 'cntlens-sources-'));
    seriesDir = path.join(tmp, 'series');
    makeCheckpointSeries(seriesDir, STEPS.length, { steps: STEPS });
    cacheDir = path.join(tmp, 'hf-cache');
    commits = buildHubCache(cacheDir, REPO, STEPS.map((s) => ({ revision: `step${s}`, dir: path.join(seriesDir, `step${s}`) })));
    // Refs that are not training steps are not checkpoints: a pull request, a branch.
    mkdirSync(path.join(repoDir(), 'refs', 'pr'), { recursive: true });
    writeFileSync(path.join(repoDir(), 'refs', 'pr', '1'), commits.get('step0')!);
    writeFileSync(path.join(repoDir(), 'refs', 'experimental'), commits.get('step1000')!);
    configFile = writeConfigFile(path.join(tmp, 'settings.json'), fastExperimentSettings({ workers: 1 }));
    // The same checkpoints read from plain folders, for comparison.
    folderResults = path.join(tmp, 'from-folders');
    const run = await runCli(['experiment', '--config', configFile, '--checkpoints', seriesDir, '--out', folderResults, '--quiet']);
    expect(run.code, run.stderr).to.equal(0);
  });
  after(() => rmSync(tmp, { recursive: true, force: true }));

  it('resolveCheckpoints("hf:org/name") lists each cached step revision as its snapshot folder', () => {
    const refs = resolveCheckpoints(`hf:${REPO}`, { cacheDir });
    expect(refs).to.deep.equal(STEPS.map((s) => ({
      name: `step${s}`,
      step: s,
      dir: path.join(repoDir(), 'snapshots', commits.get(`step${s}`)!),
      revision: `step${s}`,
      commit: commits.get(`step${s}`),
    })));
    expect(resolveCheckpoints(`hf:${REPO}`, { cacheDir, steps: '1000..3000:2000' }).map((r) => r.name)).to.deep.equal(['step1000', 'step3000']);
  });

  it('finds the cache through HF_HUB_CACHE, then HF_HOME/hub', () => {
    const saved = { HF_HUB_CACHE: process.env.HF_HUB_CACHE, HF_HOME: process.env.HF_HOME };
    try {
      process.env.HF_HUB_CACHE = cacheDir;
      delete process.env.HF_HOME;
      expect(resolveCheckpoints(`hf:${REPO}`).map((r) => r.step)).to.deep.equal(STEPS);
      delete process.env.HF_HUB_CACHE;
      process.env.HF_HOME = path.join(tmp, 'no-such-home');
      const err = thrown(() => resolveCheckpoints(`hf:${REPO}`));
      expect(err).to.be.instanceOf(InputError);
      expect(err.message).to.include(path.join(tmp, 'no-such-home', 'hub', 'models--EleutherAI--pythia-cache-test'));
    } finally {
      for (const [k, v] of Object.entries(saved)) {
        if (v === undefined) delete process.env[k];
        else process.env[k] = v;
      }
    }
  });

  it('says what is wrong with a missing model, a bad id, missing steps and a dangling ref', () => {
    const missing = thrown(() => resolveCheckpoints('hf:EleutherAI/pythia-nothere', { cacheDir }));
    expect(missing).to.be.instanceOf(InputError);
    expect(missing.message).to.match(/^.*models--EleutherAI--pythia-nothere: EleutherAI\/pythia-nothere is not in the Hugging Face cache; fetch it with: cntlens fetch --model EleutherAI\/pythia-nothere/);
    const badId = thrown(() => resolveCheckpoints('hf:../etc', { cacheDir }));
    expect(badId).to.be.instanceOf(OptionError);
    expect(badId.message).to.match(/^--checkpoints: /);
    const steps = thrown(() => resolveCheckpoints(`hf:${REPO}`, { cacheDir, steps: '0,500' }));
    expect(steps.message).to.match(/^--steps: step\(s\) 500 not found in hf:EleutherAI\/pythia-cache-test \(available: 0, 1000, 2000, 3000\)$/);

    const other = path.join(tmp, 'dangling-cache');
    buildHubCache(other, REPO, [{ revision: 'step0', dir: path.join(seriesDir, 'step0') }]);
    const orphan = 'f'.repeat(40);
    writeFileSync(path.join(other, 'models--EleutherAI--pythia-cache-test', 'refs', 'step5'), orphan);
    const dangling = thrown(() => resolveCheckpoints(`hf:${REPO}`, { cacheDir: other }));
    expect(dangling.message).to.equal(`${path.join(other, 'models--EleutherAI--pythia-cache-test', 'refs', 'step5')}: points to commit ${orphan}, but snapshots/${orphan}/ is missing; fetch step5 again`);
  });

  it('cntlens experiment --checkpoints hf:org/name (HF_HUB_CACHE) gives the results of the same checkpoints as folders', async () => {
    const out = path.join(tmp, 'from-cache');
    const run = await runCli(['experiment', '--config', configFile, '--checkpoints', `hf:${REPO}`, '--out', out, '--quiet'], { env: { HF_HUB_CACHE: cacheDir } });
    expect(run.code, run.stderr).to.equal(0);
    expect(run.stderr).to.equal('');
    const manifest = readManifest(out);
    expect(manifest.settings.checkpoints).to.equal(`hf:${REPO}`);
    expect(manifest.checkpoints.map((c) => [c.name, c.step, c.dir, c.hash, c.status])).to.deep.equal(STEPS.map((s) => [
      `step${s}`, s, path.join(repoDir(), 'snapshots', commits.get(`step${s}`)!), expectedCheckpointHash(path.join(seriesDir, `step${s}`)), 'computed',
    ]));
    // Everything computed from the checkpoints is identical; only where they came from differs
    // (the settings echoed in manifest.json, plan.json and the report, and the folders).
    expect(compareResultDirs(folderResults, out, { ignore: ['manifest.json', 'plan.json', 'report.html'] })).to.deep.equal([]);
    const folderManifest = readManifest(folderResults);
    expect(folderManifest.checkpoints.map((c) => c.hash)).to.deep.equal(manifest.checkpoints.map((c) => c.hash));
  });

  it('a cache filled by `cntlens fetch` from the (loopback) hub is read by `cntlens experiment` as it is', async () => {
    const fetched = STEPS.slice(0, 3);
    const hub = await startLoopbackHub({
      repo: REPO,
      revisions: fetched.map((s) => ({
        name: `step${s}`,
        files: ['config.json', 'model.safetensors'].map((f) => ({ path: f, data: readFileSync(path.join(seriesDir, `step${s}`, f)) })),
      })),
    });
    const fetchCache = path.join(tmp, 'fetched-cache');
    const env = { HF_ENDPOINT: hub.url, HF_HUB_CACHE: fetchCache, HF_HOME: path.join(tmp, 'hf-home') };
    try {
      const fetch = await runCli(['fetch', '--model', REPO, '--revisions', 'step0..step2000:1000', '--quiet'], { env });
      expect(fetch.code, fetch.stderr).to.equal(0);
      expect(fetch.stdout).to.include(`cntlens experiment --checkpoints hf:${REPO}`);
    } finally {
      await hub.close();
    }
    // The hub is gone: the experiment needs nothing but the cache.
    const out = path.join(tmp, 'from-fetch');
    const run = await runCli(['experiment', '--config', configFile, '--checkpoints', `hf:${REPO}`, '--out', out, '--quiet'], { env });
    expect(run.code, run.stderr).to.equal(0);
    const manifest = readManifest(out);
    expect(manifest.checkpoints.map((c) => [c.name, c.hash, c.status])).to.deep.equal(
      fetched.map((s) => [`step${s}`, expectedCheckpointHash(path.join(seriesDir, `step${s}`)), 'computed']),
    );
    for (const c of manifest.checkpoints) expect(c.dir.startsWith(path.join(fetchCache, 'models--EleutherAI--pythia-cache-test', 'snapshots') + path.sep)).to.equal(true, c.dir);
    expect(readCsv(path.join(out, 'metrics.csv')).rows.map((r) => r[0])).to.deep.equal(fetched.map(String));
    // Each checkpoint's results are those of the same checkpoint read from its folder.
    for (const s of fetched) {
      for (const file of [`records/${s}.json`, `influence/${s}.json`, `graphs/${s}.gexf`]) {
        expect(readFileSync(path.join(out, file)).equals(readFileSync(path.join(folderResults, file))), file).to.equal(true);
      }
    }
  });
});
