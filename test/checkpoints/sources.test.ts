import { copyFileSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import { resolveCheckpoints } from '../../lib/checkpoints/sources.js';
import { loadCheckpoint } from '../../lib/model/checkpoint.js';
import { InputError, OptionError } from '../../lib/util/errors.js';

const FIX = path.resolve('test/fixtures');

/** A checkpoint folder: the neox-tiny fixture copied under `dir`. */
function makeCheckpoint(dir: string): void {
  mkdirSync(dir, { recursive: true });
  copyFileSync(path.join(FIX, 'neox-tiny/config.json'), path.join(dir, 'config.json'));
  copyFileSync(path.join(FIX, 'neox-tiny/model.safetensors'), path.join(dir, 'model.safetensors'));
}

/**
 * A hub cache as huggingface_hub's hf_hub_download leaves it, written by hand here (not by
 * lib/hub): blobs/<name>, snapshots/<commit>/<file> → ../../blobs/<name>, refs/<revision> = commit.
 */
function makeHubCache(cacheDir: string, repoFolder: string, revisions: Record<string, string>, snapshots = Object.values(revisions)): string {
  const repoDir = path.join(cacheDir, repoFolder);
  mkdirSync(path.join(repoDir, 'blobs'), { recursive: true });
  copyFileSync(path.join(FIX, 'neox-tiny/config.json'), path.join(repoDir, 'blobs', 'cfgblob'));
  copyFileSync(path.join(FIX, 'neox-tiny/model.safetensors'), path.join(repoDir, 'blobs', 'weightsblob'));
  for (const commit of new Set(snapshots)) {
    const snap = path.join(repoDir, 'snapshots', commit);
    mkdirSync(snap, { recursive: true });
    symlinkSync('../../blobs/cfgblob', path.join(snap, 'config.json'));
    symlinkSync('../../blobs/weightsblob', path.join(snap, 'model.safetensors'));
  }
  mkdirSync(path.join(repoDir, 'refs'), { recursive: true });
  for (const [rev, commit] of Object.entries(revisions)) writeFileSync(path.join(repoDir, 'refs', rev), commit);
  return repoDir;
}

const commit = (c: string): string => c.repeat(40);

describe('checkpoints: resolveCheckpoints', () => {
  let tmp: string;
  beforeEach(() => {
    tmp = mkdtempSync(path.join(os.tmpdir(), 'cntlens-src-'));
  });
  afterEach(() => rmSync(tmp, { recursive: true, force: true }));

  it('lists a folder of step folders by step, ignoring other entries', () => {
    const root = path.join(tmp, 'run');
    for (const name of ['step1000', 'checkpoint-500', 'global_step200', 'step0']) makeCheckpoint(path.join(root, name));
    mkdirSync(path.join(root, 'logs'));
    writeFileSync(path.join(root, 'step3000'), 'a file, not a folder');
    writeFileSync(path.join(root, 'README.md'), '');
    const refs = resolveCheckpoints(root);
    expect(refs.map((r) => [r.name, r.step])).to.deep.equal([
      ['step0', 0],
      ['global_step200', 200],
      ['checkpoint-500', 500],
      ['step1000', 1000],
    ]);
    expect(refs[3].dir).to.equal(path.resolve(root, 'step1000'));
    expect(loadCheckpoint(refs[3].dir).config.hiddenSize).to.equal(64);
  });

  it('filters by --steps: lists, strided ranges, open ranges, all', () => {
    const root = path.join(tmp, 'run');
    for (const s of [0, 1, 2, 4, 1000, 2000, 3000]) mkdirSync(path.join(root, `step${s}`), { recursive: true });
    const steps = (sel: string): number[] => resolveCheckpoints(root, { steps: sel }).map((r) => r.step);
    expect(steps('all')).to.deep.equal([0, 1, 2, 4, 1000, 2000, 3000]);
    expect(steps('0,2000')).to.deep.equal([0, 2000]);
    expect(steps('1000..3000:1000')).to.deep.equal([1000, 2000, 3000]);
    expect(steps('step1..step1000')).to.deep.equal([1, 2, 4, 1000]);
    expect(() => steps('0,5000,6000')).to.throw(OptionError, /--steps: step\(s\) 5000, 6000 not found .*available: 0, 1, 2, 4, 1000, 2000, 3000/);
    expect(() => steps('0..3000:500')).to.throw(OptionError, /500, 1500, 2500 not found/);
    expect(() => steps('5000..9000')).to.throw(OptionError, /selects none/);
  });

  it('reads the Hugging Face cache for hf:org/name (refs → snapshots), as the Python tools leave it', () => {
    const cacheDir = path.join(tmp, 'hub');
    const repoDir = makeHubCache(cacheDir, 'models--EleutherAI--pythia-14m', {
      step1000: commit('a'),
      step0: commit('b'),
      main: commit('a'),
    });
    mkdirSync(path.join(repoDir, 'refs', 'pr'));
    writeFileSync(path.join(repoDir, 'refs', 'pr', '1'), commit('b'));
    const refs = resolveCheckpoints('hf:EleutherAI/pythia-14m', { cacheDir });
    expect(refs.map((r) => [r.name, r.step, r.commit, r.dir])).to.deep.equal([
      ['step0', 0, commit('b'), path.join(repoDir, 'snapshots', commit('b'))],
      ['step1000', 1000, commit('a'), path.join(repoDir, 'snapshots', commit('a'))],
    ]);
    expect(loadCheckpoint(refs[1].dir).config.numLayers).to.equal(3);
    expect(resolveCheckpoints('hf:EleutherAI/pythia-14m', { cacheDir, steps: '1000' }).map((r) => r.step)).to.deep.equal([1000]);
  });

  it('finds the cache through HF_HUB_CACHE, then HF_HOME/hub', () => {
    makeHubCache(path.join(tmp, 'home', 'hub'), 'models--org--m', { step5: commit('e') });
    makeHubCache(path.join(tmp, 'explicit'), 'models--org--m', { step7: commit('f') });
    const saved = { HF_HUB_CACHE: process.env.HF_HUB_CACHE, HF_HOME: process.env.HF_HOME, HUGGINGFACE_HUB_CACHE: process.env.HUGGINGFACE_HUB_CACHE };
    try {
      delete process.env.HUGGINGFACE_HUB_CACHE;
      process.env.HF_HOME = path.join(tmp, 'home');
      delete process.env.HF_HUB_CACHE;
      expect(resolveCheckpoints('hf:org/m').map((r) => r.step)).to.deep.equal([5]);
      process.env.HF_HUB_CACHE = path.join(tmp, 'explicit');
      expect(resolveCheckpoints('hf:org/m').map((r) => r.step)).to.deep.equal([7]);
    } finally {
      for (const [k, v] of Object.entries(saved)) {
        if (v === undefined) delete process.env[k];
        else process.env[k] = v;
      }
    }
  });

  it('explains hub-cache problems: not cached, no step refs, a ref to a missing snapshot, a bad ref', () => {
    const cacheDir = path.join(tmp, 'hub');
    expect(() => resolveCheckpoints('hf:org/absent', { cacheDir })).to.throw(InputError, /org\/absent is not in the Hugging Face cache; fetch it with: cntlens fetch --model org\/absent/);
    makeHubCache(cacheDir, 'models--org--mainonly', { main: commit('a') });
    expect(() => resolveCheckpoints('hf:org/mainonly', { cacheDir })).to.throw(InputError, /no step revisions cached \(refs found: main\)/);
    makeHubCache(cacheDir, 'models--org--dangling', { step1000: commit('a'), step2000: commit('d') }, [commit('a')]);
    expect(() => resolveCheckpoints('hf:org/dangling', { cacheDir })).to.throw(InputError, new RegExp(`refs/step2000: points to commit ${commit('d')}, but snapshots/${commit('d')}/ is missing`));
    makeHubCache(cacheDir, 'models--org--badref', { step1: 'not-a-hash' }, [commit('a')]);
    expect(() => resolveCheckpoints('hf:org/badref', { cacheDir })).to.throw(InputError, /refs\/step1: does not hold a commit hash/);
    expect(() => resolveCheckpoints('hf:bad id!', { cacheDir })).to.throw(OptionError, /not a model id/);
  });

  it('takes explicit lists: comma-separated, a text file, a JSON file with steps', () => {
    makeCheckpoint(path.join(tmp, 'a', 'step20'));
    makeCheckpoint(path.join(tmp, 'b', 'checkpoint-10'));
    makeCheckpoint(path.join(tmp, 'c', 'final'));
    const comma = resolveCheckpoints(`${path.join(tmp, 'a', 'step20')},${path.join(tmp, 'b', 'checkpoint-10')}`);
    expect(comma.map((r) => [r.name, r.step])).to.deep.equal([['checkpoint-10', 10], ['step20', 20]]);

    const txt = path.join(tmp, 'list.txt');
    writeFileSync(txt, '# checkpoints\na/step20\n\nb/checkpoint-10\n');
    expect(resolveCheckpoints(txt).map((r) => r.dir)).to.deep.equal([path.join(tmp, 'b', 'checkpoint-10'), path.join(tmp, 'a', 'step20')]);

    const json = path.join(tmp, 'list.json');
    writeFileSync(json, JSON.stringify(['a/step20', { dir: 'c/final', step: 30, name: 'last' }]));
    expect(resolveCheckpoints(json).map((r) => [r.name, r.step])).to.deep.equal([['step20', 20], ['last', 30]]);

    // A folder that is itself a checkpoint is a one-entry list.
    expect(resolveCheckpoints(path.join(tmp, 'a', 'step20')).map((r) => r.step)).to.deep.equal([20]);
  });

  it('explains folder and list problems: missing, empty, no step, duplicate steps', () => {
    expect(() => resolveCheckpoints(path.join(tmp, 'nope'))).to.throw(InputError, /nope: no such folder or file/);
    mkdirSync(path.join(tmp, 'empty'));
    mkdirSync(path.join(tmp, 'empty', 'logs'));
    expect(() => resolveCheckpoints(path.join(tmp, 'empty'))).to.throw(InputError, /no checkpoint folders in it .*found logs/);
    mkdirSync(path.join(tmp, 'dup', 'step100'), { recursive: true });
    mkdirSync(path.join(tmp, 'dup', 'checkpoint-100'), { recursive: true });
    expect(() => resolveCheckpoints(path.join(tmp, 'dup'))).to.throw(InputError, /step 100 appears twice \((checkpoint-100 and step100|step100 and checkpoint-100)\)/);
    makeCheckpoint(path.join(tmp, 'c', 'final'));
    expect(() => resolveCheckpoints(path.join(tmp, 'c', 'final'))).to.throw(InputError, /no step number in the folder name/);
    expect(() => resolveCheckpoints(`${path.join(tmp, 'c', 'final')},${path.join(tmp, 'missing')}`)).to.throw(InputError, /final: no step number|missing: no such checkpoint folder/);
    const json = path.join(tmp, 'bad.json');
    writeFileSync(json, JSON.stringify({ dirs: [] }));
    expect(() => resolveCheckpoints(json)).to.throw(InputError, /expected a JSON array/);
    writeFileSync(json, JSON.stringify([{ dir: 'c/final', step: -1 }]));
    expect(() => resolveCheckpoints(json)).to.throw(InputError, /entry 0: "step" must be a whole number/);
    const txt = path.join(tmp, 'empty.txt');
    writeFileSync(txt, '# nothing\n');
    expect(() => resolveCheckpoints(txt)).to.throw(InputError, /lists no checkpoint folders/);
  });
});
