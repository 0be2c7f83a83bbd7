/**
 * cntlens as users get it: the tarball `npm pack` makes, installed into an empty project (see
 * consumer.ts), used from a plain Node.js ES module, from strict TypeScript against the shipped
 * declarations, and as the `cntlens` command. Nothing here runs through tsx: the project has no
 * tsx, and the child processes get no NODE_OPTIONS.
 */
import { expect } from 'chai';
import { cpSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { GOLDEN_PROMPTS_FILE, TINY_DIR, maxAbsDiff, readGolden } from '../ablation/helpers.js';
import { tempDir } from '../experiment/helpers.js';
import { installConsumer, packCheckout, run, runOk, writeConsumerProject, type Packed } from './consumer.js';

/** The plain ES module a user would write: load, sweep (here and in worker threads), analyse. */
const USE_MJS = `
import { readFileSync } from 'node:fs';
import { ablation, analyzeGraph, graphFromInfluence, influenceSweep, initBackend, NeoXModel } from 'cntlens';

const backend = await initBackend({ backend: 'wasm', quiet: true });
const model = await NeoXModel.load('neox-tiny');
const { tokens } = JSON.parse(readFileSync('prompts.json', 'utf8'));
const options = { ablation: 'zero', measure: 'cosine', lossPositions: '10:20' };
const here = await influenceSweep(model, tokens, options);
const inWorkers = await influenceSweep(model, tokens, { ...options, workers: 2 });
const metrics = analyzeGraph(graphFromInfluence(here));
await ablation.writeInfluenceJson('influence.json', here);
console.log(JSON.stringify({
  backend, nodes: here.nodes, matrix: here.matrix, workersMatrix: inWorkers.matrix, cleanLoss: here.clean_loss,
  deltaLoss: here.delta_loss, spreaders: metrics.roles.spreaders, modularity: metrics.graph.modularity,
}));
`;

/** Strict TypeScript over the public API: every value typed from the shipped .d.ts files. */
const CHECK_TS = `
import { analyzeGraph, graphFromInfluence, influenceSweep, initBackend, NeoXModel, registerAblation, report, type Ablation } from 'cntlens';

const backend: string = await initBackend({ quiet: true });
const model: NeoXModel = await NeoXModel.load('neox-tiny');
const layers: number = model.config.numLayers;
const run = model.run([[0, 1, 2]], { capture: ['blocks.0.hook_resid_post'] });
const shape: number[] | undefined = run.cache.get('blocks.0.hook_resid_post')?.shape;
const result = await influenceSweep(model, [[0, 1, 2, 1, 2]], { measure: 'cosine', workers: 1 });
const nodes: string[] = result.nodes;
const matrix: number[][] = result.matrix;
const spreaders: string[] = analyzeGraph(graphFromInfluence(result)).roles.spreaders;
const keep: Ablation = { name: 'keep', summary: 'no change', reference: 'the clean output', replacement: (clean) => clean };
registerAblation(keep);
const bundle: report.MimeBundle = await report.figureBundle({ mark: 'point', data: { values: [{ x: 1 }] }, encoding: { x: { field: 'x', type: 'quantitative' } } });
export { backend, layers, shape, nodes, matrix, spreaders, bundle };
`;

/** A type error the declarations must catch (so they are not \`any\`). */
const WRONG_TS = `
import { NeoXModel } from 'cntlens';
const model = await NeoXModel.load('neox-tiny');
export const layers: string = model.config.numLayers;
`;

/**
 * A user's strict configuration. skipLibCheck as TensorFlow.js users need it: TF.js's own
 * declarations fail a full check (tfjs-core's hash_util.d.ts names an undeclared `Long`, ...).
 * cntlens's declarations are checked in full separately (allErrors below).
 */
const TSCONFIG = {
  compilerOptions: {
    strict: true, target: 'ES2022', module: 'NodeNext', moduleResolution: 'NodeNext', lib: ['ES2023', 'DOM'],
    types: ['node'], noEmit: true, skipLibCheck: true,
  },
};

describe('package: the packed tarball, installed and used as users do', function () {
  this.timeout(300_000);
  let tmp: { dir: string; cleanup: () => void };
  let project: string;
  let packed: Packed;

  before(function () {
    tmp = tempDir('package');
    project = path.join(tmp.dir, 'project');
    cpSync(TINY_DIR, path.join(project, 'neox-tiny'), { recursive: true });
    cpSync(GOLDEN_PROMPTS_FILE, path.join(project, 'prompts.json'));
    packed = packCheckout(project);
    writeConsumerProject(project, packed.file, ['typescript', '@types/node']);
    const install = installConsumer(project);
    expect(install.status, `npm ci in ${project}:\n${install.stdout}\n${install.stderr}`).to.equal(0);
  });

  after(() => tmp?.cleanup());

  it('ships compiled JavaScript with declarations and source maps, the CLI, and no sources or tests', () => {
    const stray = packed.files.filter((f) => !f.startsWith('dist/') && !['package.json', 'README.md', 'LICENSE'].includes(f));
    expect(stray, 'files outside dist/').to.deep.equal([]);
    for (const f of ['dist/lib/index.js', 'dist/lib/index.d.ts', 'dist/lib/index.js.map', 'dist/bin/cntlens.js', 'dist/lib/util/pool-worker.js',
      'dist/lib/ablation/sweep-worker.js', 'dist/lib/experiment/checkpoint-task.js']) {
      expect(packed.files, f).to.include(f);
    }
    expect(packed.files.filter((f) => /\.ts$/.test(f) && !f.endsWith('.d.ts')), 'TypeScript sources').to.deep.equal([]);
    expect(packed.files.filter((f) => /fixtures|test\/|tsbuildinfo/.test(f)), 'test files').to.deep.equal([]);
    const installed = path.join(project, 'node_modules');
    expect(existsSync(path.join(installed, 'tsx')), 'tsx installed with cntlens').to.equal(false);
  });

  it('a plain Node.js ES module imports cntlens, loads a checkpoint, sweeps (also in worker threads) and analyses the graph', () => {
    writeFileSync(path.join(project, 'use.mjs'), USE_MJS);
    const r = runOk(process.execPath, ['use.mjs'], { cwd: project });
    const out = JSON.parse(r.stdout) as { backend: string; nodes: string[]; matrix: number[][]; workersMatrix: number[][]; cleanLoss: number; deltaLoss: Record<string, number>; spreaders: string[]; modularity: number };
    const golden = readGolden();
    expect(out.backend).to.equal('wasm');
    expect(out.nodes).to.deep.equal(golden.nodes);
    expect(maxAbsDiff(out.matrix, golden.matrix)).to.be.below(1e-4);
    expect(out.cleanLoss).to.be.closeTo(golden.clean_loss, 1e-4);
    for (const [node, value] of Object.entries(golden.delta_loss)) expect(out.deltaLoss[node], node).to.be.closeTo(value, 1e-4);
    // The worker threads load the compiled sweep-worker.js beside the compiled sweep.
    expect(out.workersMatrix).to.deep.equal(out.matrix);
    expect(out.spreaders).to.have.length(5);
    expect(out.modularity).to.be.a('number');
  });

  it('strict TypeScript type-checks against the shipped declarations, and they catch a type error', () => {
    writeFileSync(path.join(project, 'check.ts'), CHECK_TS);
    writeFileSync(path.join(project, 'wrong.ts'), WRONG_TS);
    writeFileSync(path.join(project, 'tsconfig.json'), JSON.stringify({ ...TSCONFIG, files: ['check.ts'] }, null, 2));
    writeFileSync(path.join(project, 'tsconfig.wrong.json'), JSON.stringify({ ...TSCONFIG, files: ['wrong.ts'] }, null, 2));
    const tsc = path.join(project, 'node_modules', 'typescript', 'bin', 'tsc');
    const ok = run(process.execPath, [tsc, '--noEmit', '-p', 'tsconfig.json'], { cwd: project });
    expect(ok.status, `tsc --noEmit:\n${ok.stdout}${ok.stderr}`).to.equal(0);
    // Every declaration file checked: whatever fails must be another package's, none of cntlens's.
    const allErrors = run(process.execPath, [tsc, '--noEmit', '-p', 'tsconfig.json', '--skipLibCheck', 'false'], { cwd: project });
    const ours = allErrors.stdout.split('\n').filter((line) => /error TS/.test(line) && !/^node_modules\/(?!cntlens\/)/.test(line));
    expect(ours, allErrors.stdout).to.deep.equal([]);
    const wrong = run(process.execPath, [tsc, '--noEmit', '-p', 'tsconfig.wrong.json'], { cwd: project });
    expect(wrong.status).to.not.equal(0);
    expect(wrong.stdout).to.match(/wrong\.ts\(4,14\): error TS2322: Type 'number' is not assignable to type 'string'/);
  });

  it('`npx cntlens --help` lists the commands, and commands run from the compiled build', () => {
    const help = runOk('npx', ['--no-install', 'cntlens', '--help'], { cwd: project });
    for (const name of ['experiment', 'influence', 'metrics', 'phases', 'train']) expect(help.stdout).to.match(new RegExp(`^  ${name} `, 'm'));
    runOk('npx', ['--no-install', 'cntlens', 'influence', '--model', 'neox-tiny', '--prompts', 'prompts.json', '--loss-positions', '10:20', '--quiet', '--out', 'cli-influence.json'], { cwd: project });
    runOk('npx', ['--no-install', 'cntlens', 'metrics', '--influence', 'cli-influence.json', '--out', 'metrics.json'], { cwd: project });
    const written = JSON.parse(readFileSync(path.join(project, 'metrics.json'), 'utf8')) as { roles: { spreaders: string[] } };
    expect(written.roles.spreaders).to.have.length(5);
  });

  it('`cntlens experiment` runs the whole study from the compiled build, checkpoints in worker threads', () => {
    // Three copies of the fixture model as a checkpoint series: what matters here is that the
    // compiled pipeline finds its worker module, package.json and Vega's bundle where it is installed.
    for (const step of [0, 1000, 2000]) cpSync(path.join(project, 'neox-tiny'), path.join(project, 'series', `step${step}`), { recursive: true });
    runOk('npx', ['--no-install', 'cntlens', 'experiment', '--checkpoints', 'series', '--out', 'results', '--workers', '2', '--n-prompts', '4', '--quiet'], { cwd: project });
    const manifest = JSON.parse(readFileSync(path.join(project, 'results', 'manifest.json'), 'utf8')) as { versions: { cntlens: string }; checkpoints: { status: string }[] };
    expect(manifest.versions.cntlens).to.equal(JSON.parse(readFileSync(path.join(project, 'node_modules', 'cntlens', 'package.json'), 'utf8')).version);
    expect(manifest.checkpoints.map((c) => c.status)).to.deep.equal(['computed', 'computed', 'computed']);
    expect(readFileSync(path.join(project, 'results', 'report.html'), 'utf8')).to.include('<html');
  });
});
