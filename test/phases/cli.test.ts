import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { command } from '../../lib/cli/commands/phases.js';
import { CntlensError } from '../../lib/util/errors.js';
import { plantedSeries, pythiaSteps } from './synthetic.js';
import { CLI_ARGS } from '../cli/bin.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

function cntlens(args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [...CLI_ARGS, ...args], { cwd: root, encoding: 'utf8' });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('cli: cntlens phases', function () {
  this.timeout(60000);
  let dir: string;
  before(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'cntlens-phases-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('writes phases.json for a series CSV on the Pythia grid', () => {
    const steps = pythiaSteps();
    const data = plantedSeries({ n: steps.length, d: 4, boundaries: [40, 100], shift: 3, shifted: 4, seed: 5 });
    // a quoted header, and the rows shuffled: they are sorted by step
    const lines = steps.map((s, t) => `${s},${data[t].join(',')}`).reverse();
    const csv = path.join(dir, 'series.csv');
    writeFileSync(csv, ['step,"loss_repeated",icl_score,density,gini', ...lines].join('\n') + '\n');
    const out = path.join(dir, 'out', 'phases.json');
    const r = cntlens(['phases', '--series', csv, '--min-size', '4', '--out', out]);
    expect(r.status, r.stderr).to.equal(0);
    expect(r.stdout).to.match(/3 phase\(s\) over 154 checkpoints/);
    const json = JSON.parse(readFileSync(out, 'utf8'));
    expect(json.boundaries).to.deep.equal([steps[40], steps[100]]);
    expect(json.phases.map((p: { start: number; end: number }) => [p.start, p.end])).to.deep.equal([
      [0, steps[39]],
      [steps[40], steps[99]],
      [steps[100], 143000],
    ]);
    for (const p of json.phases) {
      expect(p.label).to.be.oneOf(['exploration', 'consolidation', 'refinement', 'undetermined']);
      expect(p.stats).to.include.keys('graphChange', 'roleVolatility', 'giniMean', 'metricChange');
      expect(p.stats.graphChange).to.equal(null);
      expect(p.stats.unavailable.graphChange).to.be.a('string');
      expect(p.stats.giniMean).to.be.a('number');
    }
    expect(json.confidence).to.have.length(2);
    expect(json.settings).to.include({ minSize: 4, method: 'pelt', penaltySource: 'default', reorderedInput: true });
    expect(json.settings.axis.used).to.equal('logstep');
    expect(json.settings.confidence.method).to.equal('penalty-sweep');
    expect(json.settings.concentration).to.equal('graph metrics gini');
  });

  it('honours --axis, --penalty, --method and --metrics', async () => {
    const csv = path.join(dir, 'small.csv');
    const data = plantedSeries({ n: 30, d: 2, boundaries: [15], shift: 4, shifted: 2, seed: 6 });
    writeFileSync(csv, ['step,a,b', ...data.map((row, t) => `${t * 10},${row.join(',')}`)].join('\n'));
    const out = path.join(dir, 'small.json');
    const write = process.stdout.write;
    process.stdout.write = (() => true) as typeof process.stdout.write;
    let status: number;
    try {
      status = await command.run(['--series', csv, '--axis', 'index', '--penalty', '1000', '--method', 'binseg', '--metrics', 'b', '--out', out]);
    } finally {
      process.stdout.write = write;
    }
    expect(status).to.equal(0);
    const json = JSON.parse(readFileSync(out, 'utf8'));
    expect(json.boundaries).to.deep.equal([]);
    expect(json.confidence).to.deep.equal([]);
    expect(json.phases).to.have.length(1);
    expect(json.phases[0].label).to.equal('undetermined');
    expect(json.settings).to.include({ penalty: 1000, penaltySource: 'user', method: 'binseg' });
    expect(json.settings.metrics).to.deep.equal(['b']);
    expect(json.settings.axis).to.include({ requested: 'index', used: 'index' });
  });

  it('rejects bad input and options with a message naming the file or option, writing nothing', async () => {
    const bad = path.join(dir, 'nostep.csv');
    writeFileSync(bad, 'loss,gini\n1,2\n3,4\n5,6\n');
    const good = path.join(dir, 'good.csv');
    writeFileSync(good, 'step,m\n0,1\n1,2\n2,3\n3,1\n');
    const out = path.join(dir, 'never.json');
    const cases: [string[], RegExp][] = [
      [['--series', bad, '--out', out], /nostep\.csv: no "step" column/],
      [['--series', good, '--axis', 'time', '--out', out], /--axis: must be one of auto, index, step, logstep/],
      [['--series', good, '--min-size', '0', '--out', out], /--min-size: must be an integer >= 1/],
      [['--series', good, '--min-size', '2.5', '--out', out], /--min-size: must be an integer >= 1/],
      [['--series', good, '--penalty', 'lots', '--out', out], /--penalty: must be a number >= 0/],
      [['--series', good, '--penalty=-3', '--out', out], /--penalty: must be a number >= 0/],
      [['--series', good, '--method', 'fast', '--out', out], /--method: must be one of pelt, binseg/],
      [['--series', good, '--metrics', 'x', '--out', out], /--metrics: no such column: x \(columns: m\)/],
      [['--series', path.join(dir, 'missing.csv'), '--out', out], /missing\.csv: no such file/],
      [['--series', good], /--out: is required/],
      [['--out', out], /--series: is required/],
    ];
    for (const [args, pattern] of cases) {
      let error: unknown;
      try {
        await command.run(args);
      } catch (err) {
        error = err;
      }
      expect(error, args.join(' ')).to.be.instanceOf(CntlensError);
      expect((error as Error).message).to.match(pattern);
      expect(existsSync(out)).to.equal(false);
    }
    // Unknown options are node's parseArgs errors, which main prints as one line.
    let unknown: unknown;
    try {
      await command.run(['--series', good, '--bogus', '--out', out]);
    } catch (err) {
      unknown = err;
    }
    expect((unknown as NodeJS.ErrnoException).code).to.equal('ERR_PARSE_ARGS_UNKNOWN_OPTION');
  });

  it('the spawned command prints a bad input as one line and exits 1', () => {
    const bad = path.join(dir, 'text.csv');
    writeFileSync(bad, 'step,loss\n0,1\n1,oops\n2,3\n');
    const out = path.join(dir, 'never2.json');
    const r = cntlens(['phases', '--series', bad, '--out', out]);
    expect(r.status).to.equal(1);
    expect(r.stderr.trim().split('\n'), r.stderr).to.have.length(1);
    expect(r.stderr).to.match(/^cntlens phases: .*text\.csv: line 3, column "loss": "oops" is not a number/);
    expect(existsSync(out)).to.equal(false);
  });

  it('the usage text lists every option the command parses', () => {
    for (const option of ['--series FILE.csv', '--out FILE.json', '--axis', '--penalty X', '--min-size N', '--method', '--metrics']) {
      expect(command.usage).to.contain(option);
    }
  });
});
