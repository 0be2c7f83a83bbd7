import { expect } from 'chai';
import { Rng } from '../../lib/util/rng.js';
import { makeMarkovLanguage, mixSeed, planSpans, sampleSequence, SyntheticCorpus, validateDataConfig, type DataConfig } from '../../lib/train/data.js';

const CONFIG: DataConfig = { seqLen: 64, branching: 4, spanMin: 6, spanMax: 12, spansPerSeq: 2 };
const VOCAB = 32;

describe('train/data', () => {
  describe('makeMarkovLanguage', () => {
    it('gives every content token `branching` distinct successors with a proper distribution', () => {
      const lang = makeMarkovLanguage(VOCAB, 4, 11);
      for (let t = 1; t < VOCAB; t++) {
        const succ = [...lang.successors[t]];
        expect(new Set(succ).size, `token ${t}`).to.equal(4);
        for (const s of succ) expect(s).to.be.within(1, VOCAB - 1);
        const cum = [...lang.cumulative[t]];
        for (let i = 1; i < cum.length; i++) expect(cum[i]).to.be.greaterThan(cum[i - 1]);
        expect(cum[cum.length - 1]).to.equal(1);
      }
    });

    it('is reproducible from its seed and differs across seeds', () => {
      const a = makeMarkovLanguage(VOCAB, 4, 11);
      const b = makeMarkovLanguage(VOCAB, 4, 11);
      const c = makeMarkovLanguage(VOCAB, 4, 12);
      expect(a.successors.map((s) => [...s])).to.deep.equal(b.successors.map((s) => [...s]));
      expect(a.successors.map((s) => [...s])).to.not.deep.equal(c.successors.map((s) => [...s]));
    });
  });

  describe('sampleSequence', () => {
    const lang = makeMarkovLanguage(VOCAB, 4, 3);
    const rng = new Rng(5);
    const seqs = Array.from({ length: 200 }, () => sampleSequence(lang, CONFIG, rng));

    it('starts with BOS (0) and never emits 0 afterwards', () => {
      const bad: string[] = [];
      for (const { tokens } of seqs) {
        if (tokens.length !== CONFIG.seqLen || tokens[0] !== 0) bad.push(`length ${tokens.length}, first ${tokens[0]}`);
        for (let p = 1; p < tokens.length; p++) if (!(tokens[p] >= 1 && tokens[p] < VOCAB)) bad.push(`token ${tokens[p]} at ${p}`);
      }
      expect(bad).to.deep.equal([]);
    });

    it('repeats every span exactly, source before destination, occurrences disjoint', () => {
      let spans = 0;
      const bad: string[] = [];
      for (const { tokens, spans: list } of seqs) {
        const used = new Set<number>([0]);
        for (const s of list) {
          spans++;
          if (s.length < CONFIG.spanMin || s.length > CONFIG.spanMax) bad.push(`length ${s.length}`);
          if (s.src + s.length > s.dst || s.dst + s.length > CONFIG.seqLen) bad.push(`placement ${JSON.stringify(s)}`);
          for (let i = 0; i < s.length; i++) {
            if (tokens[s.dst + i] !== tokens[s.src + i]) bad.push(`copy differs at ${s.dst + i}`);
            if (used.has(s.src + i) || used.has(s.dst + i)) bad.push(`overlap at ${s.src + i} / ${s.dst + i}`);
            used.add(s.src + i);
            used.add(s.dst + i);
          }
        }
      }
      expect(bad).to.deep.equal([]);
      // Two spans are asked for; nearly every 64-token sequence has room for both.
      expect(spans).to.be.greaterThan(1.8 * seqs.length);
    });

    it('follows the chain outside the spans (only allowed successors)', () => {
      const bad: string[] = [];
      let checked = 0;
      for (const { tokens, spans } of seqs) {
        const inSpan = new Uint8Array(CONFIG.seqLen);
        for (const s of spans) for (let i = 0; i < s.length; i++) inSpan[s.src + i] = inSpan[s.dst + i] = 1;
        for (let p = 2; p < CONFIG.seqLen; p++) {
          if (inSpan[p]) continue;
          checked++;
          if (!lang.successors[tokens[p - 1]].includes(tokens[p])) bad.push(`${tokens[p - 1]} -> ${tokens[p]} at ${p}`);
        }
      }
      expect(bad).to.deep.equal([]);
      expect(checked).to.be.greaterThan(1000);
    });

    it('fills span sources with near-uniform tokens (not the chain)', () => {
      // A chain with 4 successors per token reuses few bigrams; uniform spans hit many more.
      const counts = new Map<string, number>();
      let pairs = 0;
      for (const { tokens, spans } of seqs) {
        for (const s of spans) for (let i = 1; i < s.length; i++) {
          const key = `${tokens[s.src + i - 1]},${tokens[s.src + i]}`;
          counts.set(key, (counts.get(key) ?? 0) + 1);
          pairs++;
        }
      }
      const allowed = [...counts.keys()].filter((k) => {
        const [a, b] = k.split(',').map(Number);
        return lang.successors[a].includes(b);
      }).length;
      // Under the chain every pair would be allowed; uniform tokens make about 4/31 of them so.
      expect(allowed / counts.size).to.be.below(0.3);
      expect(pairs).to.be.greaterThan(1000);
    });
  });

  describe('planSpans', () => {
    it('gives fewer spans when they cannot all fit', () => {
      const rng = new Rng(1);
      const cfg: DataConfig = { seqLen: 13, branching: 2, spanMin: 6, spanMax: 6, spansPerSeq: 3 };
      for (let i = 0; i < 50; i++) expect(planSpans(cfg, rng)).to.have.length(1);
    });
  });

  describe('SyntheticCorpus', () => {
    it('reproduces batch `step` from the seed alone, in any order of requests', () => {
      const a = new SyntheticCorpus(VOCAB, CONFIG, 9);
      const b = new SyntheticCorpus(VOCAB, CONFIG, 9);
      const a5 = a.batch(5, 4);
      b.batch(2, 4);
      expect([...b.batch(5, 4)]).to.deep.equal([...a5]);
      expect(a5.length).to.equal(4 * CONFIG.seqLen);
    });

    it('differs between steps and between seeds', () => {
      const a = new SyntheticCorpus(VOCAB, CONFIG, 9);
      const c = new SyntheticCorpus(VOCAB, CONFIG, 10);
      expect([...a.batch(1, 4)]).to.not.deep.equal([...a.batch(2, 4)]);
      expect([...a.batch(1, 4)]).to.not.deep.equal([...c.batch(1, 4)]);
    });

    it('lays the batch out row-major, one sequence per row', () => {
      const a = new SyntheticCorpus(VOCAB, CONFIG, 9);
      const flat = a.batch(3, 3);
      const seqs = a.sequences(3, 3);
      seqs.forEach((s, i) => expect([...flat.slice(i * CONFIG.seqLen, (i + 1) * CONFIG.seqLen)]).to.deep.equal([...s.tokens]));
    });
  });

  it('validateDataConfig names the bad field', () => {
    expect(() => validateDataConfig(VOCAB, { ...CONFIG, spanMax: 40 })).to.throw(/spanMax = 40/);
    expect(() => validateDataConfig(VOCAB, { ...CONFIG, branching: 32 })).to.throw(/branching/);
    expect(() => validateDataConfig(VOCAB, { ...CONFIG, spanMin: 13 })).to.throw(/spanMax/);
  });

  it('mixSeed separates streams', () => {
    expect(mixSeed(1, 0)).to.not.equal(mixSeed(1, 1));
    expect(mixSeed(1, 0)).to.not.equal(mixSeed(2, 0));
    expect(mixSeed(1, 5)).to.equal(mixSeed(1, 5));
  });
});
