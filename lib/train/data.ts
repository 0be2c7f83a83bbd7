/**
 * The synthetic training corpus: a seeded random Markov "language" over a small vocabulary, into
 * which spans of uniformly random tokens are inserted twice, at random offsets. Predicting the
 * second occurrence of a span from bigram statistics is hopeless, but exact once the model can
 * look back to where the current token occurred before and copy what followed it: the two-step
 * circuit of a previous-token head feeding an induction head (Olsson et al., "In-context Learning
 * and Induction Heads", 2022). Learning that circuit is what makes the loss on repeated spans
 * drop suddenly, the phase change the checkpoints capture.
 *
 * Token 0 is the beginning-of-sequence token: every sequence starts with it and the language
 * never emits it, which matches the induction task `[0] + R + R` (eval.ts).
 *
 * Everything here is plain host arithmetic on the shared Rng, so a seed reproduces the same
 * tokens on every machine and backend.
 */
import { Rng } from '../util/rng.js';

/** The data settings of a training run (see config.ts for defaults and documentation). */
export interface DataConfig {
  /** Tokens per training sequence, BOS included. */
  seqLen: number;
  /** Distinct successors each token may have in the Markov chain (1 … vocab-1). */
  branching: number;
  /** Length range (inclusive) of a repeated span. */
  spanMin: number;
  spanMax: number;
  /** Repeated spans per sequence (each occurs twice; occurrences never overlap). */
  spansPerSeq: number;
}

/** A random first-order Markov chain over tokens 1 … vocab-1 (0 is reserved for BOS). */
export interface MarkovLanguage {
  vocabSize: number;
  /** successors[t] = the tokens that may follow t; cumulative[t] = their cumulative probabilities. */
  successors: Int32Array[];
  cumulative: Float64Array[];
}

/**
 * Draw the language: every token gets `branching` distinct successors with random weights
 * (exponential draws, i.e. a flat Dirichlet), so bigram statistics help but never determine the
 * next token.
 */
export function makeMarkovLanguage(vocabSize: number, branching: number, seed: number): MarkovLanguage {
  if (!Number.isInteger(vocabSize) || vocabSize < 3) throw new Error(`makeMarkovLanguage: vocabSize must be an integer >= 3, got ${vocabSize}`);
  if (!Number.isInteger(branching) || branching < 1 || branching > vocabSize - 1) {
    throw new Error(`makeMarkovLanguage: branching must be an integer in [1, ${vocabSize - 1}], got ${branching}`);
  }
  const rng = new Rng(seed);
  const successors: Int32Array[] = [new Int32Array(0)];
  const cumulative: Float64Array[] = [new Float64Array(0)];
  const content = Array.from({ length: vocabSize - 1 }, (_, i) => i + 1);
  for (let t = 1; t < vocabSize; t++) {
    const next = rng.shuffle([...content]).slice(0, branching);
    const weights = next.map(() => -Math.log(1 - rng.uniform()));
    const total = weights.reduce((a, b) => a + b, 0);
    const cum = new Float64Array(branching);
    let acc = 0;
    for (let i = 0; i < branching; i++) {
      acc += weights[i] / total;
      cum[i] = acc;
    }
    cum[branching - 1] = 1;
    successors.push(Int32Array.from(next));
    cumulative.push(cum);
  }
  return { vocabSize, successors, cumulative };
}

/** One successor of `token`, drawn from the chain. */
export function sampleNext(lang: MarkovLanguage, token: number, rng: Rng): number {
  if (token === 0) return rng.int(1, lang.vocabSize); // after BOS: any content token
  const u = rng.uniform();
  const cum = lang.cumulative[token];
  let i = 0;
  while (i < cum.length - 1 && u >= cum[i]) i++;
  return lang.successors[token][i];
}

/** A repeated span: tokens[dst + i] = tokens[src + i] for i < length. */
export interface Span {
  src: number;
  dst: number;
  length: number;
}

export interface Sequence {
  tokens: Int32Array;
  spans: Span[];
}

/**
 * Plan the repeated spans of one sequence: for each, a length in [spanMin, spanMax], a source and
 * a destination after it, all occurrences disjoint from each other and from BOS. A crowded
 * sequence simply gets fewer spans.
 */
export function planSpans(config: DataConfig, rng: Rng): Span[] {
  const spans: Span[] = [];
  const taken = new Uint8Array(config.seqLen);
  taken[0] = 1;
  const free = (from: number, length: number): boolean => {
    for (let i = from; i < from + length; i++) if (taken[i]) return false;
    return true;
  };
  for (let k = 0; k < config.spansPerSeq; k++) {
    const length = rng.int(config.spanMin, config.spanMax + 1);
    // dst leaves room for a source of the same length after BOS: 1 + length <= dst <= seqLen - length.
    if (config.seqLen - length < 1 + length) continue;
    for (let attempt = 0; attempt < 16; attempt++) {
      const dst = rng.int(1 + length, config.seqLen - length + 1);
      const src = rng.int(1, dst - length + 1);
      if (!free(dst, length) || !free(src, length)) continue;
      taken.fill(1, src, src + length);
      taken.fill(1, dst, dst + length);
      spans.push({ src, dst, length });
      break;
    }
  }
  return spans.sort((a, b) => a.src - b.src);
}

/**
 * One training sequence: BOS, then the Markov chain, except that each planned span is a run of
 * uniformly random tokens at its source and an exact copy of that run at its destination. The
 * random content makes the copy unpredictable from bigram statistics (as in the induction task's
 * `[0] + R + R`); the token after any span continues the chain from the span's last token.
 */
export function sampleSequence(lang: MarkovLanguage, config: DataConfig, rng: Rng): Sequence {
  const spans = planSpans(config, rng);
  const tokens = new Int32Array(config.seqLen);
  const role = new Int32Array(config.seqLen).fill(-1); // -1: chain, -2: random span token, p >= 0: copy of position p
  for (const s of spans) {
    for (let i = 0; i < s.length; i++) {
      role[s.src + i] = -2;
      role[s.dst + i] = s.src + i;
    }
  }
  tokens[0] = 0;
  for (let p = 1; p < config.seqLen; p++) {
    if (role[p] >= 0) tokens[p] = tokens[role[p]];
    else if (role[p] === -2) tokens[p] = rng.int(1, lang.vocabSize);
    else tokens[p] = sampleNext(lang, tokens[p - 1], rng);
  }
  return { tokens, spans };
}

/**
 * The training stream: batch `step` is a pure function of (seed, step), so a run can be resumed
 * or repeated and every step sees the same data on every machine.
 */
export class SyntheticCorpus {
  readonly language: MarkovLanguage;

  constructor(
    readonly vocabSize: number,
    readonly config: DataConfig,
    readonly seed: number,
  ) {
    validateDataConfig(vocabSize, config);
    this.language = makeMarkovLanguage(vocabSize, config.branching, mixSeed(seed, 0x6c616e67)); // 'lang'
  }

  /** The sequences of batch `step`, each of length seqLen. */
  sequences(step: number, batchSize: number): Sequence[] {
    const rng = new Rng(mixSeed(this.seed, step + 1));
    return Array.from({ length: batchSize }, () => sampleSequence(this.language, this.config, rng));
  }

  /** Batch `step` as one flat row-major [batchSize, seqLen] array of token ids. */
  batch(step: number, batchSize: number): Int32Array {
    const out = new Int32Array(batchSize * this.config.seqLen);
    this.sequences(step, batchSize).forEach((s, i) => out.set(s.tokens, i * this.config.seqLen));
    return out;
  }
}

export function validateDataConfig(vocabSize: number, config: DataConfig): void {
  const { seqLen, branching, spanMin, spanMax, spansPerSeq } = config;
  const bad = (what: string): never => {
    throw new Error(`data config: ${what}`);
  };
  if (!Number.isInteger(seqLen) || seqLen < 4) bad(`seqLen must be an integer >= 4, got ${seqLen}`);
  if (!Number.isInteger(branching) || branching < 1 || branching > vocabSize - 1) bad(`branching must be an integer in [1, vocab-1 = ${vocabSize - 1}], got ${branching}`);
  if (!Number.isInteger(spanMin) || spanMin < 1) bad(`spanMin must be a positive integer, got ${spanMin}`);
  if (!Number.isInteger(spanMax) || spanMax < spanMin) bad(`spanMax must be an integer >= spanMin (${spanMin}), got ${spanMax}`);
  if (1 + 2 * spanMax > seqLen) bad(`a span of spanMax = ${spanMax} tokens and its copy do not fit after BOS in seqLen = ${seqLen}`);
  if (!Number.isInteger(spansPerSeq) || spansPerSeq < 0) bad(`spansPerSeq must be a non-negative integer, got ${spansPerSeq}`);
}

/** Derive a sub-seed from a seed and a stream id (one SplitMix-style mixing round). */
export function mixSeed(seed: number, stream: number): number {
  let z = (Math.imul(seed >>> 0, 0x9e3779b1) ^ Math.imul(stream >>> 0, 0x85ebca77)) >>> 0;
  z = Math.imul(z ^ (z >>> 16), 0x7feb352d) >>> 0;
  z = Math.imul(z ^ (z >>> 15), 0x846ca68b) >>> 0;
  return (z ^ (z >>> 16)) >>> 0;
}
