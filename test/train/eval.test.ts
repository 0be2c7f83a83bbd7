import { expect } from 'chai';
import { evaluateInduction, inductionPrompts, repeatedHalfLogitPositions } from '../../lib/train/eval.js';

describe('train/eval', () => {
  it('inductionPrompts are [0] + R + R with R in [1, vocab), reproducible', () => {
    const prompts = inductionPrompts(10, 5, 20, 3);
    expect(prompts).to.have.length(20);
    for (const p of prompts) {
      expect(p).to.have.length(11);
      expect(p[0]).to.equal(0);
      expect(p.slice(6)).to.deep.equal(p.slice(1, 6));
      for (const t of p.slice(1)) expect(t).to.be.within(1, 9);
    }
    expect(inductionPrompts(10, 5, 20, 3)).to.deep.equal(prompts);
    expect(inductionPrompts(10, 5, 20, 4)).to.not.deep.equal(prompts);
  });

  it('repeated-half logit positions are L+1 … 2L-1', () => {
    expect(repeatedHalfLogitPositions(4)).to.deep.equal([5, 6, 7]);
  });

  describe('evaluateInduction', () => {
    const L = 3;
    const T = 1 + 2 * L; // 7
    const V = 5;
    const prompts = [[0, 1, 2, 3, 1, 2, 3], [0, 4, 4, 2, 4, 4, 2]];
    const B = prompts.length;
    const H = 2;

    /** Layer 0: uniform causal attention in both heads. Layer 1: head 1 attends to q − L + 1 on the repeat, head 0 to BOS. */
    function patterns(): Float32Array[] {
      const uniform = new Float32Array(B * H * T * T);
      const layer1 = new Float32Array(B * H * T * T);
      for (let b = 0; b < B; b++) for (let h = 0; h < H; h++) for (let q = 0; q < T; q++) {
        const base = ((b * H + h) * T + q) * T;
        for (let k = 0; k <= q; k++) uniform[base + k] = 1 / (q + 1);
        if (h === 0 || q <= L) layer1[base] = 1;
        else layer1[base + q - L + 1] = 1;
      }
      return [uniform, layer1];
    }

    /** log-probs: uniform except a chosen log-prob on the true next token at every position. */
    function logProbs(correct: number): Float32Array {
      const lp = new Float32Array(B * T * V).fill(Math.log(0.1));
      for (let b = 0; b < B; b++) for (let p = 0; p + 1 < T; p++) lp[(b * T + p) * V + prompts[b][p + 1]] = correct;
      return lp;
    }

    it('scores a perfect induction head 1 and uniform attention 1/(q+1) on average', () => {
      const r = evaluateInduction(logProbs(-0.5), patterns(), prompts, { vocabSize: V, heads: H }, L);
      // Uniform: queries q = 4, 5, 6 → (1/5 + 1/6 + 1/7) / 3.
      const uniform = (1 / 5 + 1 / 6 + 1 / 7) / 3;
      expect(r.scores[0][0]).to.be.closeTo(uniform, 1e-6);
      expect(r.scores[0][1]).to.be.closeTo(uniform, 1e-6);
      expect(r.scores[1][0]).to.equal(0);
      expect(r.scores[1][1]).to.equal(1);
      expect(r.bestScore).to.equal(1);
      expect(r.bestHead).to.equal('L1H1');
    });

    it('averages the loss over logit positions L+1 … 2L-1 only', () => {
      const lp = logProbs(-0.5);
      // Make the unpredictable first repeated token (logit position L) costly: it must not count.
      for (let b = 0; b < B; b++) lp[(b * T + L) * V + prompts[b][L + 1]] = -9;
      const r = evaluateInduction(lp, patterns(), prompts, { vocabSize: V, heads: H }, L);
      expect(r.repeatedHalfLoss).to.be.closeTo(0.5, 1e-6);
    });

    it('checks the shapes', () => {
      expect(() => evaluateInduction(new Float32Array(3), patterns(), prompts, { vocabSize: V, heads: H }, L)).to.throw(/do not fit/);
    });
  });
});
