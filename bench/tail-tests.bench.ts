/**
 * tailTests per checkpoint (issue 12): 30 weights (the smallest graphs) and 400 (Pythia-14M's
 * 405 edges), log-normal weights as in bench/network.bench.ts and Pareto ones, with the default
 * 250 bootstrap draws and without the bootstrap. Prints the median and the minimum of 11 samples;
 * the minimum is the least disturbed by other jobs on a shared machine.
 */
import { TAIL_TEST_DEFAULTS, tailTests } from '../lib/network/tail-tests.js';
import { Rng } from '../lib/util/rng.js';

const SAMPLES = 11;

const samplers: [string, (rng: Rng, n: number) => number[]][] = [
  ['log-normal', (rng, n) => Array.from({ length: n }, () => Math.exp(-3 + rng.normal()))],
  ['Pareto α = 2.5', (rng, n) => Array.from({ length: n }, () => 0.01 * Math.pow(1 - rng.uniform(), -1 / 1.5))],
];

export async function run(): Promise<void> {
  tailTests(samplers[0][1](new Rng(0), 400)); // warm-up: the first call also compiles
  process.stdout.write(`${SAMPLES} samples each; default draws = ${TAIL_TEST_DEFAULTS.draws}\n\n`);
  process.stdout.write(`${'weights'.padEnd(24)}  ${'median ms'.padStart(10)}  ${'min ms'.padStart(10)}  ${'draws 0 ms'.padStart(10)}  nTail\n`);
  for (const [name, sample] of samplers) {
    for (const n of [30, 400]) {
      const full: number[] = [];
      const ratiosOnly: number[] = [];
      const tails: number[] = [];
      for (let seed = 1; seed <= SAMPLES; seed++) {
        const weights = sample(new Rng(seed), n);
        let start = performance.now();
        tails.push(tailTests(weights).nTail);
        full.push(performance.now() - start);
        start = performance.now();
        tailTests(weights, { draws: 0 });
        ratiosOnly.push(performance.now() - start);
      }
      const label = `${name}, ${n}`;
      process.stdout.write(`${label.padEnd(24)}  ${median(full).toFixed(1).padStart(10)}  ${Math.min(...full).toFixed(1).padStart(10)}  `
        + `${median(ratiosOnly).toFixed(2).padStart(10)}  ${median(tails)}\n`);
    }
  }
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}
