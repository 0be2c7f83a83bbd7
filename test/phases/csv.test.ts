import { expect } from 'chai';
import { parseCsv, parseSeriesCsv } from '../../lib/phases/csv.js';
import { InputError } from '../../lib/util/errors.js';

const expectInputError = (text: string, pattern: RegExp): void => {
  let error: unknown;
  try {
    parseSeriesCsv(text, 'series.csv');
  } catch (err) {
    error = err;
  }
  expect(error).to.be.instanceOf(InputError);
  expect((error as Error).message).to.match(/^series\.csv: /);
  expect((error as Error).message).to.match(pattern);
};

describe('phases/csv', () => {
  it('parses quoted fields, doubled quotes, commas and line breaks inside quotes, CRLF and a BOM', () => {
    const text = '\ufeffa,"b, quoted","c ""q"""\r\n1, 2 ,"3\n4"\r\n\r\n';
    const records = parseCsv(text);
    expect(records.map((r) => r.fields)).to.deep.equal([['a', 'b, quoted', 'c "q"'], ['1', '2', '3\n4']]);
    expect(records.map((r) => r.line)).to.deep.equal([1, 2]);
    expect(parseCsv('x,y\n1,2').map((r) => r.fields)).to.deep.equal([['x', 'y'], ['1', '2']]);
    expect(parseCsv('x\n""\n').map((r) => r.fields)).to.deep.equal([['x'], ['']]);
  });

  it('reads a series: step column anywhere, metrics by name, rows sorted by step', () => {
    const csv = parseSeriesCsv('loss,step,"gini"\n2.5,1000,0.3\n3.0,0,0.1\n2.8,512,0.2\n', 'series.csv');
    expect(csv.metrics).to.deep.equal(['loss', 'gini']);
    expect(csv.sorted).to.equal(true);
    expect(csv.checkpoints).to.deep.equal([
      { step: 0, metrics: { loss: 3.0, gini: 0.1 } },
      { step: 512, metrics: { loss: 2.8, gini: 0.2 } },
      { step: 1000, metrics: { loss: 2.5, gini: 0.3 } },
    ]);
    expect(parseSeriesCsv('Step,m\n0,1e-3\n1,-.5\n2,+4\n').checkpoints.map((c) => c.metrics.m)).to.deep.equal([0.001, -0.5, 4]);
  });

  it('names the file, the line and the problem for bad input', () => {
    expectInputError('', /empty/);
    expectInputError('loss,gini\n1,2\n3,4\n5,6\n', /no "step" column/);
    expectInputError('step\n1\n2\n3\n', /no metric columns/);
    expectInputError('step,loss\n0,1\n1,2\n', /at least 3 checkpoints.*found 2/);
    expectInputError('step,loss\n0,1\n1,abc\n2,3\n', /line 3, column "loss": "abc" is not a number/);
    expectInputError('step,loss\n0,1\n1,\n2,3\n', /line 3, column "loss": empty value/);
    expectInputError('step,loss\n0,1\n1,NaN\n2,3\n', /"NaN" is not a number/);
    expectInputError('step,loss\n0,1\n1,2,3\n2,3\n', /line 3: 3 fields, but the header has 2/);
    expectInputError('step,loss\n0,1\n5,2\n0,3\n', /line 4: step 0 already on line 2/);
    expectInputError('step,loss,loss\n0,1,1\n1,2,2\n2,3,3\n', /"loss" appears twice/);
    expectInputError('step,,x\n0,1,1\n1,2,2\n2,3,3\n', /column 2 has an empty name/);
    expectInputError('step,loss\n0,"1\n1,2\n', /never closed/);
    expectInputError('step,loss\n0,1"2\n1,2\n2,3\n', /quote inside an unquoted field/);
  });
});
