import { existsSync, lstatSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, readlinkSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import { fetchModel, type FetchEvent, type FetchModelOptions } from '../../lib/hub/fetch.js';
import { HubError, RETRIES_EXHAUSTED } from '../../lib/hub/http.js';
import { resolveCheckpoints } from '../../lib/checkpoints/sources.js';
import { loadCheckpoint } from '../../lib/model/checkpoint.js';
import { gitBlobSha1, sha256Hex, startLoopbackHub, type Fault, type HubRevisionSpec, type LoopbackHub } from './loopback-hub.js';

const FIX = path.resolve('test/fixtures');
const read = (p: string): Buffer => readFileSync(path.join(FIX, p));
const REPO = 'EleutherAI/pythia-tiny-test';
const REPO_DIR_NAME = 'models--EleutherAI--pythia-tiny-test';

const tiny = { config: read('neox-tiny/config.json'), weights: read('neox-tiny/model.safetensors') };
const tinyBin = { config: read('neox-tiny-bin/config.json'), weights: read('neox-tiny-bin/pytorch_model.bin') };
const tinyF16 = { config: read('neox-tiny-f16/config.json'), weights: read('neox-tiny-f16/model.safetensors') };

/** step0 has only pytorch_model.bin (the fallback); main is the same commit as step2000, as on Pythia. */
function pythiaLike(): HubRevisionSpec[] {
  const step2000 = [
    { path: 'config.json', data: tinyF16.config },
    { path: 'model.safetensors', data: tinyF16.weights },
  ];
  return [
    { name: 'step0', files: [{ path: 'config.json', data: tinyBin.config }, { path: 'pytorch_model.bin', data: tinyBin.weights }] },
    { name: 'step1000', files: [{ path: 'config.json', data: tiny.config }, { path: 'model.safetensors', data: tiny.weights }] },
    { name: 'step2000', files: step2000, commit: 'c'.repeat(40) },
    { name: 'main', files: step2000, commit: 'c'.repeat(40) },
  ];
}

describe('hub: fetch from a loopback hub', () => {
  let hub: LoopbackHub | undefined;
  let tmp: string;
  let cacheDir: string;
  let repoDir: string;

  beforeEach(() => {
    tmp = mkdtempSync(path.join(os.tmpdir(), 'cntlens-hub-'));
    cacheDir = path.join(tmp, 'hub');
    repoDir = path.join(cacheDir, REPO_DIR_NAME);
  });
  afterEach(async () => {
    await hub?.close();
    hub = undefined;
    rmSync(tmp, { recursive: true, force: true });
  });

  async function serve(faults: Fault[] = [], token?: string, revisions = pythiaLike()): Promise<LoopbackHub> {
    hub = await startLoopbackHub({ repo: REPO, revisions, faults, token });
    return hub;
  }

  function options(h: LoopbackHub, more: Partial<FetchModelOptions> = {}): FetchModelOptions {
    return { model: REPO, cacheDir, endpoint: h.url, token: '', retry: { retries: 3, baseDelayMs: 1, maxDelayMs: 4 }, idleTimeoutMs: 10_000, ...more };
  }

  it('fetches revisions into the Hugging Face cache layout (blobs, relative symlinks, refs, .no_exist)', async () => {
    const h = await serve();
    const report = await fetchModel(options(h, { revisions: 'step0,step1000,step2000' }));
    expect(report.failures).to.deep.equal([]);
    expect(report.repoDir).to.equal(repoDir);
    expect(report.revisions.map((r) => [r.revision, r.status, r.fallback])).to.deep.equal([
      ['step0', 'downloaded', 'pytorch_model.bin'],
      ['step1000', 'downloaded', undefined],
      ['step2000', 'downloaded', undefined],
    ]);
    for (const [rev, files] of [
      ['step0', { 'config.json': tinyBin.config, 'pytorch_model.bin': tinyBin.weights }],
      ['step1000', { 'config.json': tiny.config, 'model.safetensors': tiny.weights }],
      ['step2000', { 'config.json': tinyF16.config, 'model.safetensors': tinyF16.weights }],
    ] as const) {
      const commit = h.commitOf(rev);
      // refs/<revision> holds the commit hash, no newline (as huggingface_hub writes it).
      expect(readFileSync(path.join(repoDir, 'refs', rev), 'utf8')).to.equal(commit);
      const snap = path.join(repoDir, 'snapshots', commit);
      expect(readdirSync(snap).sort()).to.deep.equal(Object.keys(files).sort());
      for (const [name, data] of Object.entries(files)) {
        const pointer = path.join(snap, name);
        expect(lstatSync(pointer).isSymbolicLink(), `${rev}/${name} is a symlink`).to.equal(true);
        // LFS files are named by sha256, git files by their git blob sha1.
        const etag = name === 'config.json' ? gitBlobSha1(data) : sha256Hex(data);
        expect(readlinkSync(pointer)).to.equal(`../../blobs/${etag}`);
        expect(readFileSync(pointer).equals(data), `${rev}/${name} bytes`).to.equal(true);
      }
    }
    // The failed look-up of model.safetensors at step0 is remembered like huggingface_hub does.
    expect(existsSync(path.join(repoDir, '.no_exist', h.commitOf('step0'), 'model.safetensors'))).to.equal(true);
    expect(readdirSync(path.join(repoDir, 'blobs')).filter((f) => f.endsWith('.incomplete'))).to.deep.equal([]);
    // config.json of step0 and step1000 is the same blob: stored once, downloaded once.
    expect(readdirSync(path.join(repoDir, 'blobs')).length).to.equal(5);
    const configGets = h.requests.filter((r) => r.method === 'GET' && r.path.endsWith('/config.json'));
    expect(configGets.length).to.equal(2);
  });

  it('leaves a cache that resolveCheckpoints("hf:…") and loadCheckpoint read back', async () => {
    const h = await serve();
    await fetchModel(options(h, { revisions: 'step1000,step2000' }));
    const refs = resolveCheckpoints(`hf:${REPO}`, { cacheDir });
    expect(refs.map((r) => [r.name, r.step, r.dir])).to.deep.equal([
      ['step1000', 1000, path.join(repoDir, 'snapshots', h.commitOf('step1000'))],
      ['step2000', 2000, path.join(repoDir, 'snapshots', h.commitOf('step2000'))],
    ]);
    const expectedHidden = JSON.parse(tiny.config.toString()).hidden_size;
    for (const ref of refs) {
      const ckpt = loadCheckpoint(ref.dir);
      expect(ckpt.config.hiddenSize).to.equal(expectedHidden);
      expect([...ckpt.stateDict.keys()]).to.include('gpt_neox.embed_in.weight');
    }
  });

  it('reads back the pytorch_model.bin fallback with loadCheckpoint', async () => {
    const h = await serve();
    await fetchModel(options(h, { revisions: 'step0' }));
    const [ref] = resolveCheckpoints(`hf:${REPO}`, { cacheDir });
    expect(ref.step).to.equal(0);
    const ckpt = loadCheckpoint(ref.dir);
    expect(ckpt.files.map((f) => path.basename(f))).to.deep.equal(['pytorch_model.bin']);
    expect([...ckpt.stateDict.keys()]).to.include('embed_out.weight');
  });

  it('skips cached revisions without asking the hub, and relinks cached blobs', async () => {
    const h = await serve();
    await fetchModel(options(h, { revisions: 'step0,step1000' }));
    const before = h.requests.length;
    const again = await fetchModel(options(h, { revisions: 'step0,step1000' }));
    expect(again.revisions.map((r) => [r.revision, r.status, r.fallback])).to.deep.equal([
      ['step0', 'cached', 'pytorch_model.bin'],
      ['step1000', 'cached', undefined],
    ]);
    expect(h.requests.length).to.equal(before);
    // A lost snapshot folder is rebuilt from the blobs: metadata requests only, no content GET.
    rmSync(path.join(repoDir, 'snapshots', h.commitOf('step1000')), { recursive: true });
    const relinked = await fetchModel(options(h, { revisions: 'step1000' }));
    expect(relinked.revisions[0].status).to.equal('downloaded');
    expect(relinked.revisions[0].files.map((f) => f.downloaded)).to.deep.equal([0, 0]);
    expect(h.requests.slice(before).filter((r) => r.method === 'GET')).to.deep.equal([]);
  });

  it('resumes a partial download left by an earlier run with a Range request', async () => {
    const h = await serve();
    const sha = sha256Hex(tiny.weights);
    const half = 300_001;
    mkdirSync(path.join(repoDir, 'blobs'), { recursive: true });
    writeFileSync(path.join(repoDir, 'blobs', `${sha}.incomplete`), tiny.weights.subarray(0, half));
    const report = await fetchModel(options(h, { revisions: 'step1000' }));
    const weights = report.revisions[0].files.find((f) => f.file === 'model.safetensors')!;
    expect(weights.starts).to.deep.equal([half]);
    expect(weights.downloaded).to.equal(tiny.weights.length - half);
    const cdn = h.requests.filter((r) => r.method === 'GET' && r.path === `/cdn/${sha}`);
    expect(cdn.map((r) => [r.range, r.status])).to.deep.equal([[`bytes=${half}-`, 206]]);
    expect(readFileSync(path.join(repoDir, 'blobs', sha)).equals(tiny.weights)).to.equal(true);
    expect(existsSync(path.join(repoDir, 'blobs', `${sha}.incomplete`))).to.equal(false);
  });

  it('survives a connection dropped mid-transfer: retries and resumes from what arrived', async () => {
    const h = await serve([{ kind: 'disconnect', path: 'model.safetensors', afterBytes: 200_000, times: 1 }]);
    const events: FetchEvent[] = [];
    const report = await fetchModel(options(h, { revisions: 'step1000', onEvent: (e) => events.push(e) }));
    expect(report.failures).to.deep.equal([]);
    const sha = sha256Hex(tiny.weights);
    expect(readFileSync(path.join(repoDir, 'blobs', sha)).equals(tiny.weights)).to.equal(true);
    const cdn = h.requests.filter((r) => r.method === 'GET' && r.path === `/cdn/${sha}`);
    expect(cdn.length).to.equal(2);
    expect(cdn[0].range).to.equal(undefined);
    const weights = report.revisions[0].files.find((f) => f.file === 'model.safetensors')!;
    // The second GET starts where the kept bytes end (at most what the server sent before dropping).
    expect(weights.starts.length).to.equal(2);
    expect(weights.starts[0]).to.equal(0);
    expect(weights.starts[1]).to.be.at.most(200_000);
    expect(cdn[1].range).to.equal(weights.starts[1] > 0 ? `bytes=${weights.starts[1]}-` : undefined);
    expect(events.filter((e) => e.type === 'retry').length).to.equal(1);
  });

  it('refuses a corrupt download (sha256 mismatch): no blob, no link, no ref; other revisions still fetched', async () => {
    const h = await serve([{ kind: 'corrupt', path: 'model.safetensors', revision: 'step1000' }]);
    const report = await fetchModel(options(h, { revisions: 'step1000,step2000' }));
    expect(report.failures.map((f) => f.revision)).to.deep.equal(['step1000']);
    expect(report.failures[0].message).to.match(/sha256 mismatch/);
    expect(report.failures[0].message).to.include(sha256Hex(tiny.weights));
    expect(report.revisions.map((r) => r.revision)).to.deep.equal(['step2000']);
    const sha = sha256Hex(tiny.weights);
    expect(existsSync(path.join(repoDir, 'blobs', sha))).to.equal(false);
    expect(existsSync(path.join(repoDir, 'blobs', `${sha}.incomplete`))).to.equal(false);
    expect(existsSync(path.join(repoDir, 'snapshots', h.commitOf('step1000'), 'model.safetensors'))).to.equal(false);
    expect(existsSync(path.join(repoDir, 'refs', 'step1000'))).to.equal(false);
    // One download, then one fresh download, then refusal.
    expect(h.requests.filter((r) => r.method === 'GET' && r.path === `/cdn/${sha}`).length).to.equal(2);
    // The experiment sees only the good revision.
    expect(resolveCheckpoints(`hf:${REPO}`, { cacheDir }).map((r) => r.step)).to.deep.equal([2000]);
  });

  it('retries 5xx answers with backoff, and gives up after the bounded count', async () => {
    const h = await serve([{ kind: 'status', path: 'config.json', status: 503, times: 2 }]);
    const events: FetchEvent[] = [];
    const ok = await fetchModel(options(h, { revisions: 'step1000', onEvent: (e) => events.push(e) }));
    expect(ok.failures).to.deep.equal([]);
    expect(events.filter((e) => e.type === 'retry').map((e) => (e as { delayMs: number }).delayMs)).to.deep.equal([1, 2]);
    await h.close();
    const h2 = await serve([{ kind: 'status', path: 'config.json', status: 500, times: 100 }]);
    const failing = fetchModel(options(h2, { revisions: 'step2000', retry: { retries: 2, baseDelayMs: 1, maxDelayMs: 2 } }));
    const err = await failing.then(() => undefined, (e: unknown) => e);
    expect(err).to.be.instanceOf(HubError);
    expect((err as HubError).code).to.equal(RETRIES_EXHAUSTED);
    expect((err as Error).message).to.match(/gave up after 3 attempts/);
    expect(h2.requests.filter((r) => r.path.endsWith('/config.json')).length).to.equal(3);
  });

  it('lists branches for --revisions all and for ranges without a stride', async () => {
    const h = await serve();
    const all = await fetchModel(options(h, { revisions: 'all', files: ['config.json'] }));
    expect(all.revisions.map((r) => r.revision)).to.deep.equal(['step0', 'step1000', 'step2000']);
    expect(h.requests.some((r) => r.path === `/api/models/${REPO}/refs`)).to.equal(true);
    const some = await fetchModel(options(h, { revisions: 'step500..step2000', files: ['config.json'] }));
    expect(some.revisions.map((r) => r.revision)).to.deep.equal(['step1000', 'step2000']);
    const strided = await fetchModel(options(h, { revisions: 'step0..step2000:1000', files: ['config.json'] }));
    expect(strided.revisions.map((r) => [r.revision, r.status])).to.deep.equal([
      ['step0', 'cached'],
      ['step1000', 'cached'],
      ['step2000', 'cached'],
    ]);
  });

  it('reports a missing revision and a revision without weights, and keeps the others', async () => {
    const revisions = [...pythiaLike(), { name: 'step3000', files: [{ path: 'config.json', data: tiny.config }] }];
    const h = await serve([], undefined, revisions);
    const report = await fetchModel(options(h, { revisions: 'step1000,step3000,step4000' }));
    expect(report.revisions.map((r) => r.revision)).to.deep.equal(['step1000']);
    expect(report.failures.map((f) => f.revision)).to.deep.equal(['step3000', 'step4000']);
    expect(report.failures[0].message).to.match(/no weights/);
    expect(report.failures[1].message).to.match(/no such revision/);
  });

  it('sends HF_TOKEN to the hub but not to the CDN, and explains a refused token', async () => {
    const h = await serve([], 'hf_loopback_secret');
    const report = await fetchModel(options(h, { revisions: 'step1000', token: 'hf_loopback_secret' }));
    expect(report.failures).to.deep.equal([]);
    const hubRequests = h.requests.filter((r) => r.path.includes('/resolve/'));
    expect(hubRequests.length).to.be.greaterThan(0);
    expect(hubRequests.every((r) => r.authorization === 'Bearer hf_loopback_secret')).to.equal(true);
    const cdnRequests = h.requests.filter((r) => r.path.startsWith('/cdn/'));
    expect(cdnRequests.length).to.equal(1);
    expect(cdnRequests[0].authorization).to.equal(undefined);
    const refused = await fetchModel(options(h, { revisions: 'step2000', token: 'hf_wrong' })).then(() => undefined, (e: unknown) => e);
    expect(refused).to.be.instanceOf(HubError);
    expect((refused as Error).message).to.match(/not accessible.*HF_TOKEN/);
  });

  it('fetches every file of a revision with files: "all" (listed by @huggingface/hub listFiles)', async () => {
    const h = await serve();
    const report = await fetchModel(options(h, { revisions: 'step0', files: 'all' }));
    expect(report.revisions[0].files.map((f) => f.file)).to.deep.equal(['config.json', 'pytorch_model.bin']);
    expect(h.requests.some((r) => r.path.startsWith(`/api/models/${REPO}/tree/step0`))).to.equal(true);
  });

  it('falls back to sharded safetensors (index + shards) and recognises them as cached', async () => {
    const shardA = tiny.weights.subarray(0, 1000);
    const shardB = tiny.weights.subarray(1000, 3000);
    const index = Buffer.from(JSON.stringify({ metadata: {}, weight_map: { a: 'model-00001-of-00002.safetensors', b: 'model-00002-of-00002.safetensors', c: 'model-00001-of-00002.safetensors' } }));
    const h = await serve([], undefined, [
      {
        name: 'step5',
        files: [
          { path: 'config.json', data: tiny.config },
          { path: 'model.safetensors.index.json', data: index },
          { path: 'model-00001-of-00002.safetensors', data: shardA },
          { path: 'model-00002-of-00002.safetensors', data: shardB },
        ],
      },
    ]);
    const report = await fetchModel(options(h, { revisions: 'step5' }));
    expect(report.revisions[0].fallback).to.equal('model.safetensors.index.json');
    expect(report.revisions[0].files.map((f) => f.file)).to.deep.equal([
      'config.json',
      'model.safetensors.index.json',
      'model-00001-of-00002.safetensors',
      'model-00002-of-00002.safetensors',
    ]);
    const snap = path.join(repoDir, 'snapshots', h.commitOf('step5'));
    expect(readFileSync(path.join(snap, 'model-00002-of-00002.safetensors')).equals(shardB)).to.equal(true);
    const again = await fetchModel(options(h, { revisions: 'step5' }));
    expect(again.revisions[0].status).to.equal('cached');
  });

  it('refuses a weights index that names a file outside the snapshot, as a failed revision', async () => {
    const index = Buffer.from(JSON.stringify({ weight_map: { a: '../../../escape.safetensors' } }));
    const h = await serve([], undefined, [
      ...pythiaLike(),
      { name: 'step7', files: [{ path: 'config.json', data: tiny.config }, { path: 'model.safetensors.index.json', data: index }] },
    ]);
    const report = await fetchModel(options(h, { revisions: 'step7,step1000' }));
    expect(report.revisions.map((r) => r.revision)).to.deep.equal(['step1000']);
    expect(report.failures.map((f) => f.revision)).to.deep.equal(['step7']);
    expect(report.failures[0].message).to.match(/unsafe file path in repository: "..\/..\/..\/escape.safetensors"/);
    expect(existsSync(path.join(tmp, 'escape.safetensors'))).to.equal(false);
    expect(h.requests.some((r) => r.path.includes('escape'))).to.equal(false);
  });
});
