import { mkdirSync, mkdtempSync, readFileSync, readlinkSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import { checkRepoId, checkRepoPath, linkPointer, normalizeEtag, readRef, repoCacheDir, writeRef } from '../../lib/hub/cache.js';
import { parseContentRange, resolveUrl } from '../../lib/hub/download.js';
import { HubError, backoffDelay, endpointFromEnv, isRetryable, tokenFromEnv, withRetries } from '../../lib/hub/http.js';
import { planRevisions } from '../../lib/hub/revisions.js';
import { OptionError } from '../../lib/util/errors.js';

describe('hub: revision plans', () => {
  const noListing = async (): Promise<string[]> => {
    throw new Error('the hub must not be asked');
  };
  const branches = async (): Promise<string[]> => ['main', 'step0', 'step1', 'step2', 'step4', 'step1000', 'step2000', 'step143000'];

  it('enumerates names and strided ranges without asking the hub', async () => {
    expect(await planRevisions('main', noListing)).to.deep.equal(['main']);
    expect(await planRevisions('step2000,1000,main,step1000', noListing)).to.deep.equal(['step1000', 'step2000', 'main']);
    const pythia = await planRevisions('step1000..step143000:1000', noListing);
    expect(pythia.length).to.equal(143);
    expect([pythia[0], pythia[1], pythia[142]]).to.deep.equal(['step1000', 'step2000', 'step143000']);
    expect(await planRevisions('global_step10..global_step30:10', noListing)).to.deep.equal(['global_step10', 'global_step20', 'global_step30']);
  });

  it('lists branches for all and for ranges without a stride', async () => {
    expect(await planRevisions('all', branches)).to.deep.equal(['step0', 'step1', 'step2', 'step4', 'step1000', 'step2000', 'step143000']);
    expect(await planRevisions('step1..step1000', branches)).to.deep.equal(['step1', 'step2', 'step4', 'step1000']);
    expect(await planRevisions('step0..step2:1,step2000..step200000', branches)).to.deep.equal(['step0', 'step1', 'step2', 'step2000', 'step143000']);
    await planRevisions('step5000..step6000', branches).then(
      () => expect.fail('should refuse'),
      (err: unknown) => expect((err as Error).message).to.match(/--revisions: "step5000..step6000" matches none of the repository's branches/),
    );
  });

  it('refuses bad revision specs', async () => {
    for (const bad of ['5..1', 'x..y', 'main/../../etc', '']) {
      const err = await planRevisions(bad, noListing).then(() => undefined, (e: unknown) => e);
      expect(err, bad).to.be.instanceOf(OptionError);
    }
  });
});

describe('hub: HTTP helpers', () => {
  it('backs off exponentially up to the maximum, honouring Retry-After', () => {
    const retry = { retries: 5, baseDelayMs: 100, maxDelayMs: 1000 };
    expect([0, 1, 2, 3, 4].map((a) => backoffDelay(a, retry))).to.deep.equal([100, 200, 400, 800, 1000]);
    expect(backoffDelay(0, retry, 700)).to.equal(700);
    expect(backoffDelay(0, retry, 5000)).to.equal(1000);
  });

  it('retries only what may succeed later, a bounded number of times', async () => {
    expect(isRetryable(new TypeError('fetch failed'))).to.equal(true);
    expect(isRetryable(Object.assign(new Error('reset'), { code: 'ECONNRESET' }))).to.equal(true);
    expect(isRetryable(new HubError('503', { status: 503, retryable: true }))).to.equal(true);
    expect(isRetryable(new HubError('404', { status: 404 }))).to.equal(false);
    expect(isRetryable(new RangeError('bug'))).to.equal(false);
    let calls = 0;
    const delays: number[] = [];
    const result = await withRetries('x', { retries: 3, baseDelayMs: 1, maxDelayMs: 2 }, async () => {
      calls++;
      if (calls < 3) throw new TypeError('fetch failed');
      return 'ok';
    }, (e) => delays.push(e.delayMs));
    expect([result, calls, delays]).to.deep.equal(['ok', 3, [1, 2]]);
    calls = 0;
    const err = await withRetries('y', { retries: 3, baseDelayMs: 1, maxDelayMs: 1 }, async () => {
      calls++;
      throw new HubError('nope', { status: 404 });
    }).then(() => undefined, (e: unknown) => e);
    expect([calls, (err as Error).message]).to.deep.equal([1, 'nope']);
  });

  it('reads HF_ENDPOINT and HF_TOKEN (or the saved login token)', () => {
    expect(endpointFromEnv({})).to.equal('https://huggingface.co');
    expect(endpointFromEnv({ HF_ENDPOINT: 'http://127.0.0.1:9/' })).to.equal('http://127.0.0.1:9');
    expect(() => endpointFromEnv({ HF_ENDPOINT: 'ftp://x' })).to.throw(OptionError, /HF_ENDPOINT/);
    const home = mkdtempSync(path.join(os.tmpdir(), 'cntlens-token-'));
    try {
      expect(tokenFromEnv({ HF_HOME: home })).to.equal(undefined);
      writeFileSync(path.join(home, 'token'), 'hf_saved\n');
      expect(tokenFromEnv({ HF_HOME: home })).to.equal('hf_saved');
      expect(tokenFromEnv({ HF_HOME: home, HF_TOKEN: 'hf_env' })).to.equal('hf_env');
    } finally {
      rmSync(home, { recursive: true, force: true });
    }
  });

  it('builds resolve URLs and reads Content-Range', () => {
    expect(resolveUrl('https://hf.co', 'EleutherAI/pythia-14m', 'refs/pr/1', 'sub dir/model.safetensors')).to.equal(
      'https://hf.co/EleutherAI/pythia-14m/resolve/refs%2Fpr%2F1/sub%20dir/model.safetensors',
    );
    expect(parseContentRange('bytes 100-199/1000')).to.deep.equal({ start: 100, end: 199, total: 1000 });
    expect(parseContentRange('bytes 0-0/*')).to.deep.equal({ start: 0, end: 0, total: undefined });
    expect(parseContentRange('items 1-2/3')).to.equal(undefined);
    expect(parseContentRange(null)).to.equal(undefined);
  });
});

describe('hub: cache layout helpers', () => {
  let tmp: string;
  beforeEach(() => {
    tmp = mkdtempSync(path.join(os.tmpdir(), 'cntlens-cache-'));
  });
  afterEach(() => rmSync(tmp, { recursive: true, force: true }));

  it('names repo folders and normalizes ETags as huggingface_hub does', () => {
    expect(repoCacheDir('/c', 'EleutherAI/pythia-14m-deduped')).to.equal(path.join('/c', 'models--EleutherAI--pythia-14m-deduped'));
    expect(normalizeEtag('"abc123"')).to.equal('abc123');
    expect(normalizeEtag('W/"abc123"')).to.equal('abc123');
    expect(() => normalizeEtag('"../../etc"')).to.throw(/unusable ETag/);
    expect(() => checkRepoId('a/b/c')).to.throw(OptionError);
    expect(checkRepoId('gpt2')).to.equal('gpt2');
  });

  it('refuses repository paths that would leave the snapshot folder', () => {
    for (const bad of ['../x', 'a/../../x', '/etc/passwd', 'C:\\x', '\\\\host\\share', 'a//b', '']) {
      expect(() => checkRepoPath(bad), bad).to.throw(/unsafe file path/);
    }
    expect(checkRepoPath('sub/model.safetensors')).to.equal('sub/model.safetensors');
  });

  it('links snapshot files with relative symlinks and writes refs without a newline', async () => {
    const repoDir = path.join(tmp, 'models--a--b');
    mkdirSync(path.join(repoDir, 'blobs'), { recursive: true });
    writeFileSync(path.join(repoDir, 'blobs', 'e1'), 'data');
    const top = await linkPointer(repoDir, 'f'.repeat(40), 'config.json', 'e1');
    expect(readlinkSync(top)).to.equal('../../blobs/e1');
    const nested = await linkPointer(repoDir, 'f'.repeat(40), 'sub/dir/x.json', 'e1');
    expect(readlinkSync(nested)).to.equal('../../../../blobs/e1');
    expect(readFileSync(nested, 'utf8')).to.equal('data');
    await writeRef(repoDir, 'step1', 'f'.repeat(40));
    expect(readFileSync(path.join(repoDir, 'refs', 'step1'), 'utf8')).to.equal('f'.repeat(40));
    expect(readRef(repoDir, 'step1')).to.equal('f'.repeat(40));
    expect(readRef(repoDir, 'step2')).to.equal(undefined);
  });
});
