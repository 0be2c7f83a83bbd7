import { expect } from 'chai';
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { expectClose, FIXTURES, goldenArray, readGolden } from '../model/neox-golden.js';
import { CLI_ARGS } from './bin.js';

const ROOT = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

interface Outcome {
  code: number;
  stdout: string;
  stderr: string;
}

function cntlens(args: string[]): Promise<Outcome> {
  return new Promise((resolve) => {
    execFile(process.execPath, [...CLI_ARGS, ...args], { cwd: ROOT, maxBuffer: 64 * 1024 * 1024, env: { ...process.env, CNTLENS_BACKEND: '' } }, (err, stdout, stderr) => {
      const code = err ? (typeof err.code === 'number' ? err.code : 1) : 0;
      resolve({ code, stdout, stderr });
    });
  });
}

/** Run the given CLI calls at most `limit` at a time (the CI machine has 2 cores). */
async function runAll(calls: string[][], limit = 3): Promise<Outcome[]> {
  const results: Outcome[] = new Array(calls.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < calls.length) {
      const i = next++;
      results[i] = await cntlens(calls[i]);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, calls.length) }, worker));
  return results;
}

describe('cntlens forward (CLI)', function () {
  this.timeout(300_000);
  const g = readGolden('neox-tiny');
  const model = path.join(FIXTURES, 'neox-tiny');
  let dir: string;
  let tokensFile: string;
  let outcomes: Outcome[];
  const out = (name: string): string => path.join(dir, name);

  const badInputs: { what: string; args: () => string[]; message: RegExp }[] = [
    { what: 'missing model folder', args: () => ['--model', out('no-such-model'), '--tokens', tokensFile, '--out', out('bad1.json')], message: /no-such-model: no such checkpoint folder/ },
    { what: 'missing tokens file', args: () => ['--model', model, '--tokens', out('nope.json'), '--out', out('bad2.json')], message: /nope\.json: no such file/ },
    { what: 'tokens file not JSON', args: () => ['--model', model, '--tokens', out('garbage.json'), '--out', out('bad3.json')], message: /garbage\.json: not valid JSON/ },
    { what: 'ragged token rows', args: () => ['--model', model, '--tokens', out('ragged.json'), '--out', out('bad4.json')], message: /ragged\.json: "tokens": rows differ in length/ },
    { what: 'token id out of range', args: () => ['--model', model, '--tokens', out('range.json'), '--out', out('bad5.json')], message: /range\.json: "tokens": token 97 at row 0, position 1 is not an integer id in \[0, 97\)/ },
    { what: 'bad ablation name', args: () => ['--model', model, '--tokens', tokensFile, '--ablate', 'L1H9', '--out', out('bad6.json')], message: /--ablate: "L1H9": head 9 out of range/ },
    { what: 'unknown option', args: () => ['--model', model, '--tokens', tokensFile, '--out', out('bad7.json'), '--frobnicate'], message: /Unknown option '--frobnicate'/ },
  ];

  before(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'cntlens-forward-'));
    tokensFile = out('tokens.json');
    writeFileSync(tokensFile, JSON.stringify({ tokens: g.inputIds }));
    writeFileSync(out('garbage.json'), '{"tokens": [[1, 2]');
    writeFileSync(out('ragged.json'), JSON.stringify({ tokens: [[1, 2, 3], [4, 5]] }));
    writeFileSync(out('range.json'), JSON.stringify({ tokens: [[1, 97]] }));
    outcomes = await runAll([
      ['forward', '--model', model, '--tokens', tokensFile, '--out', out('logits.json')],
      ['forward', '--model', model, '--tokens', tokensFile, '--ablate', 'L0H2+L1MLP'],
      ...badInputs.map((b) => ['forward', ...b.args()]),
    ]);
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('writes the golden logits to --out', () => {
    expect(outcomes[0].code, outcomes[0].stderr).to.equal(0);
    expect(outcomes[0].stdout).to.equal('');
    const { logits } = JSON.parse(readFileSync(out('logits.json'), 'utf8')) as { logits: number[][][] };
    expect(g.logitsPositions).to.deep.equal(g.inputIds[0].map((_, i) => i)); // the golden covers every position
    expectClose(logits.flat(2), goldenArray(g, 'logits'), 'CLI logits');
    expect([logits.length, logits[0].length, logits[0][0].length]).to.deep.equal(goldenArray(g, 'logits').shape);
  });

  it('applies --ablate and writes to stdout without --out', () => {
    expect(outcomes[1].code, outcomes[1].stderr).to.equal(0);
    const { logits } = JSON.parse(outcomes[1].stdout) as { logits: number[][][] };
    expectClose(logits.flat(2), goldenArray(g, 'ablation.L0H2+L1MLP.logits'), 'CLI ablated logits');
  });

  badInputs.forEach((bad, i) => {
    it(`bad input (${bad.what}): exit code != 0, one readable line, no output file`, () => {
      const o = outcomes[2 + i];
      expect(o.code).to.not.equal(0);
      const lines = o.stderr.split('\n').filter((l) => l.trim() !== '');
      expect(lines, o.stderr).to.have.length(1);
      expect(lines[0]).to.match(/^cntlens forward: /);
      expect(lines[0]).to.match(bad.message);
      expect(lines[0]).to.not.match(/internal error|\bat \S+:\d+/);
      expect(o.stdout).to.equal('');
      expect(existsSync(out(`bad${i + 1}.json`))).to.equal(false);
    });
  });
});
