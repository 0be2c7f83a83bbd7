import { expect } from 'chai';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { inductionBehaviour, inductionHalfLength, inductionPrompts, readPromptsFile } from '../../lib/ablation/tasks.js';
import { InputError, OptionError } from '../../lib/util/errors.js';
import { Rng } from '../../lib/util/rng.js';

describe('induction task', () => {
  it('builds [bos] + R + R with R uniform in the range, from one seeded Rng in order', () => {
    const prompts = inductionPrompts({ nPrompts: 3, halfLen: 5, seed: 9, tokenRange: [10, 20] }, 100);
    const rng = new Rng(9);
    for (const p of prompts) {
      const r = Array.from({ length: 5 }, () => rng.int(10, 20));
      expect(p).to.deep.equal([0, ...r, ...r]);
    }
    expect(inductionPrompts({ nPrompts: 3, halfLen: 5, seed: 9, tokenRange: [10, 20] }, 100)).to.deep.equal(prompts);
  });

  it('defaults to 8 prompts × 50, ids in [1, vocab), bos 0', () => {
    const prompts = inductionPrompts({}, 97);
    expect(prompts).to.have.length(8);
    for (const p of prompts) {
      expect(p).to.have.length(101);
      expect(p[0]).to.equal(0);
      for (const id of p.slice(1)) expect(id).to.be.within(1, 96);
    }
  });

  it('refuses bad sizes and ranges, naming the option', () => {
    expect(() => inductionPrompts({ nPrompts: 0 }, 97)).to.throw(OptionError, /--n-prompts/);
    expect(() => inductionPrompts({ halfLen: 1.5 }, 97)).to.throw(OptionError, /--half-len/);
    expect(() => inductionPrompts({ tokenRange: [1, 50277] }, 97)).to.throw(OptionError, /--token-range/);
    expect(() => inductionPrompts({ tokenRange: [5, 5] }, 97)).to.throw(OptionError, /--token-range/);
  });

  it('recognises induction-shaped prompts', () => {
    expect(inductionHalfLength([[0, 1, 2, 1, 2], [0, 3, 4, 3, 4]])).to.equal(2);
    expect(inductionHalfLength([[0, 1, 2, 1, 3]])).to.equal(null);
    expect(inductionHalfLength([[0, 1, 2, 1]])).to.equal(null);
  });

  it('computes repeat loss, ICL score and attention scores from their definitions', () => {
    // n = 2, T = 5, one prompt, one layer with two heads.
    const T = 5;
    const ce = (_b: number, p: number): number => [0, 0, 4, 1][p]; // logit positions 2 and 3 are the repeat
    const pattern = new Float32Array(2 * T * T);
    const set = (h: number, q: number, k: number, v: number): void => { pattern[(h * T + q) * T + k] = v; };
    // head 0: induction q → q − n + 1 (q = 3 → 2, q = 4 → 3) with weights 0.8 and 0.6
    set(0, 3, 2, 0.8); set(0, 4, 3, 0.6);
    // head 1: previous token q → q − 1 with 1, 0.5, 0.5, 0.25 (q = 1..4); q = 4 → 3 also counts for induction
    set(1, 1, 0, 1); set(1, 2, 1, 0.5); set(1, 3, 2, 0.5); set(1, 4, 3, 0.25);
    const m = inductionBehaviour(ce, [pattern], { batch: 1, heads: 2, seqLen: T }, 2, 1);
    expect(m.repeat_loss).to.equal(2.5);
    expect(m.icl_score).to.equal(1 - 4); // last prediction minus first
    expect(m.induction_scores[0][0]).to.be.closeTo(0.7, 1e-7);
    expect(m.induction_scores[0][1]).to.be.closeTo((0.5 + 0.25) / 2, 1e-7);
    expect(m.prev_token_scores[0][1]).to.be.closeTo((1 + 0.5 + 0.5 + 0.25) / 4, 1e-7);
    expect(m.prev_token_scores[0][0]).to.be.closeTo((0.8 + 0.6) / 4, 1e-7);
  });
});

describe('prompt files', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'cntlens-prompts-'));
  const file = (name: string, content: unknown): string => {
    const f = path.join(dir, name);
    writeFileSync(f, typeof content === 'string' ? content : JSON.stringify(content));
    return f;
  };

  it('reads {"tokens": [[…]]}', () => {
    expect(readPromptsFile(file('ok.json', { tokens: [[0, 5, 6], [0, 7, 8]] }), { vocabSize: 10 })).to.deep.equal([[0, 5, 6], [0, 7, 8]]);
  });

  it('names the file and the problem', () => {
    const cases: [unknown, RegExp][] = [
      [[[1, 2]], /expected an object/],
      [{ tokens: [] }, /non-empty/],
      [{ tokens: [[1, 2], [1]] }, /tokens\[1\] has 1 tokens/],
      [{ tokens: [[1, 2.5]] }, /tokens\[0\]\[1\] = 2.5/],
      [{ tokens: [[1, 12]] }, /outside the model's vocabulary/],
      [{ tokens: [[1]] }, /at least 2/],
      ['{oops', /not valid JSON/],
    ];
    cases.forEach(([content, pattern], i) => {
      const f = file(`bad${i}.json`, content);
      expect(() => readPromptsFile(f, { vocabSize: 10 })).to.throw(InputError, pattern).with.property('file', f);
    });
    expect(() => readPromptsFile(file('long.json', { tokens: [[1, 2, 3]] }), { maxLength: 2 })).to.throw(InputError, /max_position_embeddings/);
  });
});
