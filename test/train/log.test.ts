import { expect } from 'chai';
import { formatLog, LOG_HEADER, parseLog, phaseChange, type LogRow } from '../../lib/train/log.js';

const row = (step: number, score: number, rep = 4 - 3 * score): LogRow => ({ step, loss: 3 + 1 / (step + 1), repeatedHalfLoss: rep, bestInductionScore: score, bestInductionHead: 'L1H0', lr: 0.001 });

describe('train/log', () => {
  it('writes the CSV header and rows, and reads them back exactly', () => {
    const rows = [row(0, 0.03), row(10, 0.123456789), row(20, 0.7)];
    const text = formatLog(rows);
    expect(text.split('\n')[0]).to.equal(LOG_HEADER);
    expect(text.split('\n')[1]).to.equal('0,4,3.91,0.03,L1H0,0.001');
    expect(parseLog(text)).to.deep.equal(rows);
  });

  it('refuses a file of another format', () => {
    expect(() => parseLog('a,b\n1,2\n')).to.throw(/unexpected header/);
    expect(() => parseLog(`${LOG_HEADER}\n1,2\n`)).to.throw(/line 2 has 2 fields/);
  });

  it('phaseChange finds the window from under 20% to over 80% of the final score', () => {
    // Final 0.8: 20% = 0.16, 80% = 0.64. Last below 0.16 at step 40; first above 0.64 after it at step 60.
    const scores = [0.03, 0.05, 0.2, 0.1, 0.15, 0.5, 0.7, 0.75, 0.8, 0.79, 0.8];
    const rows = scores.map((s, i) => row(i * 10, s));
    const pc = phaseChange(rows);
    expect(pc.step20).to.equal(40);
    expect(pc.step80).to.equal(60);
    expect(pc.windowFraction).to.be.closeTo(20 / 100, 1e-12);
    expect(pc.initialScore).to.equal(0.03);
    expect(pc.finalScore).to.equal(0.8);
    expect(pc.repeatedLossRatio).to.be.closeTo((4 - 2.4) / (4 - 0.09), 1e-12);
  });

  it('phaseChange needs two rows', () => {
    expect(() => phaseChange([row(0, 0.1)])).to.throw(/two/);
  });
});
