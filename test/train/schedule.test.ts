import { expect } from 'chai';
import { checkpointSteps, learningRate } from '../../lib/train/schedule.js';

describe('train/schedule', () => {
  describe('checkpointSteps', () => {
    it('is step 0, powers of two below the first even step, then evenly spaced (Pythia layout)', () => {
      expect(checkpointSteps({ totalSteps: 1000, evenly: 10 })).to.deep.equal([0, 1, 2, 4, 8, 16, 32, 64, 100, 200, 300, 400, 500, 600, 700, 800, 900, 1000]);
    });

    it('rounds evenly spaced steps when the run does not divide', () => {
      // 100 / 3 = 33.3…: round(33.3) = 33, round(66.7) = 67, 100; powers of two below 33.
      expect(checkpointSteps({ totalSteps: 100, evenly: 3 })).to.deep.equal([0, 1, 2, 4, 8, 16, 32, 33, 67, 100]);
    });

    it('can leave out the log-spaced steps', () => {
      expect(checkpointSteps({ totalSteps: 40, evenly: 4, logSpaced: false })).to.deep.equal([0, 10, 20, 30, 40]);
    });

    it('never repeats a step and always ends at the last step', () => {
      const steps = checkpointSteps({ totalSteps: 6, evenly: 3 });
      expect(steps).to.deep.equal([0, 1, 2, 4, 6]);
      expect(checkpointSteps({ totalSteps: 3, evenly: 10 })).to.deep.equal([0, 1, 2, 3]);
    });

    it('refuses nonsense', () => {
      expect(() => checkpointSteps({ totalSteps: 10, evenly: 0 })).to.throw(/evenly/);
      expect(() => checkpointSteps({ totalSteps: -1, evenly: 2 })).to.throw(/totalSteps/);
    });
  });

  describe('learningRate', () => {
    const o = { lr: 1e-3, warmupSteps: 10, totalSteps: 110, minLrRatio: 0.1 };

    it('warms up linearly from 0 to the peak', () => {
      expect(learningRate(1, o)).to.be.closeTo(1e-4, 1e-12);
      expect(learningRate(5, o)).to.be.closeTo(5e-4, 1e-12);
      expect(learningRate(10, o)).to.be.closeTo(1e-3, 1e-12);
    });

    it('decays by a half cosine to minLrRatio × peak at the last step', () => {
      // Half-way through the decay, cos(π/2) = 0: lr · (0.1 + 0.9 · 0.5) = 0.55 lr.
      expect(learningRate(60, o)).to.be.closeTo(0.55e-3, 1e-12);
      expect(learningRate(110, o)).to.be.closeTo(1e-4, 1e-12);
      // A quarter of the way: 0.1 + 0.9 · ½(1 + cos(π/4)).
      expect(learningRate(35, o)).to.be.closeTo(1e-3 * (0.1 + 0.45 * (1 + Math.SQRT1_2)), 1e-12);
    });

    it('is constant after warmup when nothing is left to decay', () => {
      expect(learningRate(20, { lr: 2, warmupSteps: 20, totalSteps: 20, minLrRatio: 0 })).to.equal(2);
      expect(learningRate(3, { lr: 2, warmupSteps: 0, totalSteps: 0, minLrRatio: 0 })).to.equal(2);
    });
  });
});
