/**
 * A hostile hub on 127.0.0.1 (loopback-hub.ts): every behaviour ends within seconds with a reason,
 * writes nothing it should not, and leaves no partial download behind.
 */
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import { fetchModel, MAX_LISTING_PAGES, type FetchModelOptions } from '../../lib/hub/fetch.js';
import { HubError, MAX_JSON_BYTES } from '../../lib/hub/http.js';
import { OptionError } from '../../lib/util/errors.js';
import { readFileSync } from 'node:fs';
import { startLoopbackHub, type Fault, type HubRevisionSpec, type LoopbackHub } from './loopback-hub.js';

const FIX = path.resolve('test/fixtures');
const REPO = 'EleutherAI/pythia-hostile-test';
const REPO_DIR_NAME = 'models--EleutherAI--pythia-hostile-test';
const config = readFileSync(path.join(FIX, 'neox-tiny/config.json'));
const weights = readFileSync(path.join(FIX, 'neox-tiny/model.safetensors'));

function revisions(): HubRevisionSpec[] {
  const files = [{ path: 'config.json', data: config }, { path: 'model.safetensors', data: weights }];
  return [{ name: 'step1000', files }, { name: 'main', files }];
}

describe('hub: a hostile hub', function () {
  this.timeout(60_000);
  let hub: LoopbackHub | undefined;
  let tmp: string;
  let cacheDir: string;

  beforeEach(() => {
    tmp = mkdtempSync(path.join(os.tmpdir(), 'cntlens-hostile-hub-'));
    cacheDir = path.join(tmp, 'hub');
  });
  afterEach(async () => {
    await hub?.close();
    hub = undefined;
    rmSync(tmp, { recursive: true, force: true });
  });

  async function serve(faults: Fault[]): Promise<LoopbackHub> {
    hub = await startLoopbackHub({ repo: REPO, revisions: revisions(), faults, maxRequests: 2000 });
    return hub;
  }

  function options(h: LoopbackHub, more: Partial<FetchModelOptions> = {}): FetchModelOptions {
    return { model: REPO, cacheDir, endpoint: h.url, token: '', retry: { retries: 1, baseDelayMs: 1, maxDelayMs: 2 }, idleTimeoutMs: 5_000, ...more };
  }

  function leftovers(): string[] {
    const blobs = path.join(cacheDir, REPO_DIR_NAME, 'blobs');
    return existsSync(blobs) ? readdirSync(blobs).filter((f) => f.endsWith('.incomplete')) : [];
  }

  async function timed<T>(run: () => Promise<T>, limitMs: number): Promise<T> {
    const start = performance.now();
    const result = await run();
    expect(performance.now() - start, 'seconds, not minutes').to.be.below(limitMs);
    return result;
  }

  it('stops a file listing whose Link: rel="next" points at itself', async () => {
    const h = await serve([{ kind: 'link-loop' }]);
    const report = await timed(() => fetchModel(options(h, { files: 'all', revisions: 'step1000' })), 10_000);
    expect(report.revisions).to.deep.equal([]);
    expect(report.failures).to.have.length(1);
    expect(report.failures[0].message).to.match(/listing files: the hub's listing comes back to page .*\/tree\/step1000.* \(its Link: rel="next" loops\); stopped after 1 page/);
    expect(h.requests.filter((r) => r.path.includes('/tree/'))).to.have.length(1);
    expect(MAX_LISTING_PAGES).to.be.at.most(1000);
  });

  it('aborts a body that drips a byte at a time (rate floor), retried like a dropped transfer', async () => {
    const h = await serve([{ kind: 'drip', path: 'config.json', intervalMs: 100 }]);
    let error: unknown;
    const start = performance.now();
    try {
      await fetchModel(options(h, { revisions: 'step1000', minBytesPerSecond: 100, rateWindowMs: 600 }));
    } catch (err) {
      error = err;
    }
    // Two windows of 0.6 s (first attempt and one retry), not the minutes a drip would take.
    expect(performance.now() - start).to.be.below(10_000);
    // A network failure that outlasts the retries stops the whole fetch (as for a dead connection).
    expect(error).to.be.instanceOf(HubError);
    expect((error as Error).message).to.match(/config\.json .*gave up after 2 attempts: .*transfer slower than 100 bytes\/s over 0\.6 s \(\d+ bytes so far\); aborted/);
    // The bytes that did arrive stay in blobs/<etag>.incomplete for the next run to resume, as
    // huggingface_hub keeps them; nothing is linked into the snapshot, no ref is written.
    expect(existsSync(path.join(cacheDir, REPO_DIR_NAME, 'refs'))).to.equal(false);
    expect(existsSync(path.join(cacheDir, REPO_DIR_NAME, 'snapshots'))).to.equal(false);
  });

  it('refuses a file announced larger than the free disk space before writing a byte', async () => {
    const h = await serve([{ kind: 'announce', path: 'model.safetensors', size: 2 ** 40 }]);
    const report = await timed(() => fetchModel(options(h, { revisions: 'step1000' })), 10_000);
    expect(report.failures).to.have.length(1);
    expect(report.failures[0].message).to.match(/model\.safetensors .*the hub announces 1\.0 TiB, .* but only .* are free in .*blobs .*nothing was written/);
    expect(h.requests.filter((r) => r.server === 'cdn')).to.deep.equal([]);
    expect(leftovers()).to.deep.equal([]);
  });

  it('stops reading a branch list that never ends, at a bound', async () => {
    const h = await serve([{ kind: 'endless-refs' }]);
    let error: unknown;
    const start = performance.now();
    try {
      await fetchModel(options(h, { revisions: 'all' }));
    } catch (err) {
      error = err;
    }
    expect(performance.now() - start).to.be.below(30_000);
    expect(error).to.be.instanceOf(HubError);
    expect((error as Error).message).to.match(new RegExp(`listing branches: .*the answer runs past ${MAX_JSON_BYTES} bytes`));
    expect(existsSync(path.join(cacheDir, REPO_DIR_NAME, 'refs'))).to.equal(false);
  });

  it('checks a non-LFS file against the git blob id the hub reports', async () => {
    const h = await serve([{ kind: 'tamper', path: 'config.json' }]);
    const report = await timed(() => fetchModel(options(h, { revisions: 'step1000' })), 10_000);
    expect(report.failures).to.have.length(1);
    expect(report.failures[0].message).to.match(/config\.json at commit [0-9a-f]{40}: refused: git blob id mismatch: the hub reported [0-9a-f]{40}, the data has [0-9a-f]{40}; the partial download was deleted/);
    expect(leftovers()).to.deep.equal([]);
    const blobs = path.join(cacheDir, REPO_DIR_NAME, 'blobs');
    expect(existsSync(blobs) ? readdirSync(blobs) : []).to.deep.equal([]);
  });

  it('refuses a cache folder that is a file, or in /proc, before any request', async () => {
    const h = await serve([]);
    const file = path.join(tmp, 'a-file');
    writeFileSync(file, 'keep');
    for (const [dir, problem] of [[file, 'is a file, expected a folder'], ['/proc/cntlens-xyz', "in the kernel's proc file system"]] as const) {
      let error: unknown;
      try {
        await timed(() => fetchModel(options(h, { cacheDir: dir })), 5_000);
      } catch (err) {
        error = err;
      }
      expect(error, dir).to.be.instanceOf(OptionError);
      expect((error as Error).message, dir).to.contain('--cache-dir').and.to.contain(problem);
    }
    expect(readFileSync(file, 'utf8')).to.equal('keep');
    expect(h.requests).to.deep.equal([]);
  });
});
