import { expect } from 'chai';
import { enumerateSteps, needsExistingSteps, parseStepSelection, selectsStep, stepFromName } from '../../lib/checkpoints/steps.js';
import { OptionError } from '../../lib/util/errors.js';

describe('checkpoints: step numbers in names', () => {
  it('reads steps from the usual checkpoint names', () => {
    const cases: Array<[string, number | undefined]> = [
      ['step1000', 1000],
      ['step0', 0],
      ['checkpoint-500', 500],
      ['global_step200', 200],
      ['iter_0001000', 1000],
      ['ckpt_7', 7],
      ['pythia-14m-step143000', 143000],
      ['Step12', 12],
      ['1000', 1000],
      ['run-3', undefined],
      ['model_v2', undefined],
      ['step1000.bak', undefined],
      ['main', undefined],
      ['logs', undefined],
    ];
    for (const [name, step] of cases) expect(stepFromName(name), name).to.equal(step);
  });
});

describe('checkpoints: step selections', () => {
  it('parses lists, strided ranges, stride-less ranges and all', () => {
    const list = parseStepSelection('0, 1000,2000');
    expect(enumerateSteps(list)).to.deep.equal([0, 1000, 2000]);
    expect(needsExistingSteps(list)).to.equal(false);

    const strided = parseStepSelection('1000..5000:2000');
    expect(enumerateSteps(strided)).to.deep.equal([1000, 3000, 5000]);
    expect(selectsStep(strided, 3000)).to.equal(true);
    expect(selectsStep(strided, 2000)).to.equal(false);
    expect(selectsStep(strided, 7000)).to.equal(false);

    const prefixed = parseStepSelection('step1000..step143000:1000');
    const steps = enumerateSteps(prefixed);
    expect(steps.length).to.equal(143);
    expect([steps[0], steps[142]]).to.deep.equal([1000, 143000]);

    const open = parseStepSelection('10..20');
    expect(enumerateSteps(open)).to.deep.equal([]);
    expect(needsExistingSteps(open)).to.equal(true);
    expect([9, 10, 15, 20, 21].map((s) => selectsStep(open, s))).to.deep.equal([false, true, true, true, false]);

    const all = parseStepSelection('all');
    expect(all.all).to.equal(true);
    expect(selectsStep(all, 123)).to.equal(true);
    expect(needsExistingSteps(all)).to.equal(true);

    const mixed = parseStepSelection('1,2,4,8..32:8,1000');
    expect(enumerateSteps(mixed)).to.deep.equal([1, 2, 4, 8, 16, 24, 32, 1000]);
  });

  it('takes names only where revisions are meant', () => {
    const sel = parseStepSelection('main,step1000,' + 'a'.repeat(40), { allowNames: true, option: '--revisions' });
    expect(sel.items.map((i) => i.kind)).to.deep.equal(['name', 'step', 'name']);
    expect(() => parseStepSelection('main')).to.throw(OptionError, /--steps: cannot read "main"/);
  });

  it('refuses malformed selections with the option named', () => {
    const bad: Array<[string, RegExp]> = [
      ['', /empty selection/],
      ['1,,2', /empty item/],
      ['5..1', /runs backwards/],
      ['1..5:0', /stride above 0/],
      ['step1..ckpt5', /mixes names/],
      ['1...5', /cannot read range/],
      ['0..1000000000:1', /more than 1000000 steps/],
      ['-5', /cannot read "-5"/],
    ];
    for (const [text, re] of bad) {
      expect(() => parseStepSelection(text, { option: '--steps' }), text).to.throw(OptionError, re);
      try {
        parseStepSelection(text);
      } catch (err) {
        expect((err as Error).message.startsWith('--steps: '), text).to.equal(true);
      }
    }
  });
});
