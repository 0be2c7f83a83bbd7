// Task module for test/util/pool.test.ts: squares numbers, remembers which thread ran them, and
// fails with a user error on a negative input.
import { threadId } from 'node:worker_threads';
import { InputError } from '../../lib/util/errors.js';

let offset = 0;

export function init(data: { offset: number }): void {
  offset = data.offset;
}

export function handle(x: number): { value: number; thread: number } {
  if (x < 0) throw new InputError(`item ${x}`, 'negative input');
  return { value: x * x + offset, thread: threadId };
}
