import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, readlinkSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import { resolveCheckpoints } from '../../lib/checkpoints/sources.js';
import { loadCheckpoint } from '../../lib/model/checkpoint.js';
import { sha256Hex, startLoopbackHub, type Fault, type LoopbackHub } from './loopback-hub.js';
import { CLI_ARGS } from '../cli/bin.js';

const FIX = path.resolve('test/fixtures');
const REPO = 'EleutherAI/pythia-cli-test';
const weights = readFileSync(path.join(FIX, 'neox-tiny/model.safetensors'));
const config = readFileSync(path.join(FIX, 'neox-tiny/config.json'));
const binWeights = readFileSync(path.join(FIX, 'neox-tiny-bin/pytorch_model.bin'));

interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** `cntlens …` as a child process (test/cli/bin.ts) (async: the loopback hub runs in this process). */
function cntlens(args: string[], env: Record<string, string | undefined>): Promise<RunResult> {
  const childEnv: NodeJS.ProcessEnv = { ...process.env };
  for (const key of ['HF_TOKEN', 'HUGGING_FACE_HUB_TOKEN', 'HF_TOKEN_PATH', 'HF_ENDPOINT', 'HF_HUB_CACHE', 'HUGGINGFACE_HUB_CACHE', 'HF_HOME']) delete childEnv[key];
  for (const [k, v] of Object.entries(env)) if (v !== undefined) childEnv[k] = v;
  return new Promise((resolve) => {
    execFile(process.execPath, [...CLI_ARGS, ...args], { env: childEnv, timeout: 60_000 }, (err, stdout, stderr) => {
      const code = err ? (typeof (err as { code?: unknown }).code === 'number' ? (err as { code: number }).code : 99) : 0;
      resolve({ code, stdout, stderr });
    });
  });
}

describe('hub: cntlens fetch (CLI) against a loopback hub', () => {
  let hub: LoopbackHub | undefined;
  let tmp: string;
  let cacheDir: string;

  beforeEach(() => {
    tmp = mkdtempSync(path.join(os.tmpdir(), 'cntlens-cli-'));
    cacheDir = path.join(tmp, 'cache');
  });
  afterEach(async () => {
    await hub?.close();
    hub = undefined;
    rmSync(tmp, { recursive: true, force: true });
  });

  async function serve(faults: Fault[] = [], token?: string): Promise<LoopbackHub> {
    hub = await startLoopbackHub({
      repo: REPO,
      token,
      faults,
      revisions: [
        { name: 'step0', files: [{ path: 'config.json', data: config }, { path: 'pytorch_model.bin', data: binWeights }] },
        { name: 'step1000', files: [{ path: 'config.json', data: config }, { path: 'model.safetensors', data: weights }] },
      ],
    });
    return hub;
  }

  const env = (h: LoopbackHub, more: Record<string, string> = {}): Record<string, string> => ({
    HF_ENDPOINT: h.url,
    HF_HUB_CACHE: cacheDir,
    HF_HOME: path.join(tmp, 'hf-home'), // no saved login token is read
    ...more,
  });

  it('fetches with HF_ENDPOINT / HF_HUB_CACHE / HF_TOKEN, and the cache is read back as checkpoints', async () => {
    const h = await serve([], 'hf_cli_secret');
    const run = await cntlens(['fetch', '--model', REPO, '--revisions', 'step0..step1000:1000', '--quiet'], env(h, { HF_TOKEN: 'hf_cli_secret' }));
    expect(run.stderr).to.equal('');
    expect(run.code).to.equal(0);
    const lines = run.stdout.trim().split('\n');
    expect(lines[0]).to.match(/^step0 {2}[0-9a-f]{12} {2}downloaded .* config\.json, pytorch_model\.bin \(no model\.safetensors: pytorch_model\.bin\)$/);
    expect(lines[1]).to.match(/^step1000 {2}[0-9a-f]{12} {2}downloaded .* config\.json, model\.safetensors$/);
    expect(lines[2]).to.include(`analyse with: cntlens experiment --checkpoints hf:${REPO}`);

    const repoDir = path.join(cacheDir, 'models--EleutherAI--pythia-cli-test');
    expect(readlinkSync(path.join(repoDir, 'snapshots', h.commitOf('step1000'), 'model.safetensors'))).to.equal(`../../blobs/${sha256Hex(weights)}`);
    const refs = resolveCheckpoints(`hf:${REPO}`, { cacheDir });
    expect(refs.map((r) => r.step)).to.deep.equal([0, 1000]);
    for (const ref of refs) expect(loadCheckpoint(ref.dir).config.hiddenSize).to.equal(64);

    // Again: everything is cached, nothing is asked of the hub.
    const before = h.requests.length;
    const again = await cntlens(['fetch', '--model', REPO, '--revisions', 'step0,step1000', '--quiet'], env(h, { HF_TOKEN: 'hf_cli_secret' }));
    expect(again.code).to.equal(0);
    expect(again.stdout).to.match(/^step0 {2}[0-9a-f]{12} {2}cached/m);
    expect(h.requests.length).to.equal(before);
  });

  it('exits 1 with a one-line reason for a corrupt download, keeping the good revisions', async () => {
    const h = await serve([{ kind: 'corrupt', path: 'model.safetensors' }]);
    const run = await cntlens(['fetch', '--model', REPO, '--revisions', 'step0,step1000', '--retry-delay', '1', '--quiet'], env(h));
    expect(run.code).to.equal(1);
    expect(run.stderr).to.match(/cntlens fetch: step1000 failed: .*model\.safetensors.*sha256 mismatch/);
    expect(run.stderr).to.not.match(/\n\s+at /); // no stack trace
    expect(run.stdout).to.match(/^step0 /m);
    const repoDir = path.join(cacheDir, 'models--EleutherAI--pythia-cli-test');
    expect(readdirSync(path.join(repoDir, 'refs'))).to.deep.equal(['step0']);
    expect(existsSync(path.join(repoDir, 'blobs', sha256Hex(weights)))).to.equal(false);
  });

  it('resumes after a dropped connection and reports bad options and a refused token cleanly', async () => {
    const h = await serve([{ kind: 'disconnect', path: 'model.safetensors', afterBytes: 100_000, times: 1 }]);
    const run = await cntlens(['fetch', '--model', REPO, '--revisions', 'step1000', '--retry-delay', '1'], env(h));
    expect(run.code).to.equal(0);
    expect(run.stderr).to.match(/retrying .*model\.safetensors/);
    expect(readFileSync(path.join(cacheDir, 'models--EleutherAI--pythia-cli-test', 'blobs', sha256Hex(weights))).equals(weights)).to.equal(true);

    const bad = await cntlens(['fetch', '--model', REPO, '--revisions', '5..1'], env(h));
    expect([bad.code, bad.stderr]).to.deep.equal([1, 'cntlens fetch: --revisions: range "5..1" runs backwards (5 > 1)\n']);
    const noModel = await cntlens(['fetch'], env(h));
    expect([noModel.code, noModel.stderr]).to.deep.equal([1, 'cntlens fetch: --model: required (e.g. --model EleutherAI/pythia-14m-deduped)\n']);
    await h.close();
    const locked = await serve([], 'hf_right');
    const refused = await cntlens(['fetch', '--model', REPO, '--revisions', 'step0', '--quiet'], env(locked, { HF_TOKEN: 'hf_wrong' }));
    expect(refused.code).to.equal(1);
    expect(refused.stderr).to.match(/^cntlens fetch: .*not accessible.*set HF_TOKEN/);
    expect(refused.stderr.trim().split('\n').length).to.equal(1);
  });
});
