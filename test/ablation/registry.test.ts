import { expect } from 'chai';
import * as tf from '@tensorflow/tfjs';
import { ablationNames, getAblation, isAblation, nodeSeed, registerAblation, unregisterAblation, type Ablation } from '../../lib/ablation/registry.js';
import '../../lib/ablation/ablations/index.js';
import { OptionError } from '../../lib/util/errors.js';

const half: Ablation = {
  name: 'test-half',
  summary: 'halve the output',
  reference: 'half the clean output',
  replacement: (clean, ctx) => ctx.tf.mul(clean, 0.5) as tf.Tensor3D,
};

describe('ablation registry', () => {
  afterEach(() => {
    unregisterAblation('test-half');
  });

  it('has the four built-ins, each documenting its reference distribution', () => {
    expect(ablationNames()).to.include.members(['zero', 'mean', 'resample', 'noise']);
    for (const name of ['zero', 'mean', 'resample', 'noise']) {
      const a = getAblation(name);
      expect(a.name).to.equal(name);
      expect(a.reference.length).to.be.greaterThan(10);
      expect(a.summary.length).to.be.greaterThan(5);
    }
  });

  it('registers, finds and removes a new type', () => {
    registerAblation(half);
    expect(getAblation('test-half')).to.equal(half);
    expect(ablationNames()).to.include('test-half');
    registerAblation(half); // the same object again is harmless
    expect(unregisterAblation('test-half')).to.equal(true);
    expect(ablationNames()).to.not.include('test-half');
  });

  it('refuses a second type under a taken name unless replace is asked for', () => {
    registerAblation(half);
    const other = { ...half };
    expect(() => registerAblation(other)).to.throw(/already registered/);
    registerAblation({ ...half }, { ifAbsent: true }); // kept the existing one
    expect(getAblation('test-half')).to.equal(half);
    registerAblation(other, { replace: true });
    expect(getAblation('test-half')).to.equal(other);
  });

  it('refuses bad names and non-ablations', () => {
    expect(() => registerAblation({ ...half, name: 'Bad Name' })).to.throw(/must match/);
    expect(() => registerAblation({ name: 'x' } as unknown as Ablation)).to.throw(/expected/);
    expect(isAblation(half)).to.equal(true);
    expect(isAblation({ ...half, replacement: 3 })).to.equal(false);
  });

  it('names the option and the known types for an unknown name', () => {
    expect(() => getAblation('nope')).to.throw(OptionError, /--ablation: unknown ablation "nope" \(known: .*mean.*zero/);
  });

  it('derives per-component seeds that differ by node and by sweep seed', () => {
    expect(nodeSeed(0, 'L0H0')).to.equal(nodeSeed(0, 'L0H0'));
    expect(nodeSeed(0, 'L0H0')).to.not.equal(nodeSeed(0, 'L0H1'));
    expect(nodeSeed(0, 'L0H0')).to.not.equal(nodeSeed(1, 'L0H0'));
  });
});
