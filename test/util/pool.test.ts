import { expect } from 'chai';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { mapInPool } from '../../lib/util/pool.js';
import { CntlensError } from '../../lib/util/errors.js';

const taskModule = path.join(path.dirname(fileURLToPath(import.meta.url)), 'pool-task.fixture.ts');

describe('util/pool', () => {
  const items = [3, 1, 4, 1, 5, 9, 2, 6];
  const expected = items.map((x) => x * x + 10);

  it('returns results in item order with one worker (in this thread)', async () => {
    const out = await mapInPool<number, { value: number; thread: number }>(items, { module: taskModule, init: { offset: 10 }, workers: 1 });
    expect(out.map((r) => r.value)).to.deep.equal(expected);
    expect(new Set(out.map((r) => r.thread))).to.deep.equal(new Set([0]));
  });

  it('returns the same results in item order from two worker threads', async () => {
    const seen: number[] = [];
    const out = await mapInPool<number, { value: number; thread: number }>(items, {
      module: taskModule, init: { offset: 10 }, workers: 2, onResult: (i) => { seen.push(i); },
    });
    expect(out.map((r) => r.value)).to.deep.equal(expected);
    expect(out.every((r) => r.thread !== 0)).to.equal(true);
    expect([...seen].sort((a, b) => a - b)).to.deep.equal(items.map((_, i) => i));
  });

  it('passes a user error from a worker back as a CntlensError', async () => {
    let caught: unknown;
    try {
      await mapInPool([1, -2, 3], { module: taskModule, init: { offset: 0 }, workers: 2 });
    } catch (err) {
      caught = err;
    }
    expect(caught).to.be.instanceOf(CntlensError);
    expect((caught as Error).message).to.contain('negative input');
  });
});
