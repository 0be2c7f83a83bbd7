import { expect } from 'chai';
import { canonicalJson, settingsHash } from '../../lib/util/hash.js';

describe('util/hash', () => {
  it('canonicalJson sorts keys at every level and keeps nulls', () => {
    expect(canonicalJson({ b: 1, a: { d: [1, { f: 2, e: 3 }], c: null } })).to.equal('{"a":{"c":null,"d":[1,{"e":3,"f":2}]},"b":1}');
  });

  it('settingsHash is the same for equal settings written in another key order, and differs otherwise', () => {
    expect(settingsHash({ a: 1, b: [2, 3] })).to.equal(settingsHash({ b: [2, 3], a: 1 }));
    expect(settingsHash({ a: 1, b: [2, 3] })).to.not.equal(settingsHash({ a: 1, b: [3, 2] }));
    expect(settingsHash({ a: 1 })).to.match(/^[0-9a-f]{16}$/);
  });
});
