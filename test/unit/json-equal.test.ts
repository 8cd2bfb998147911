// jsonEqual is canonicalJson equality without the strings: checked against it on random JSON.
import { expect } from 'chai';
import fc from 'fast-check';
import { canonicalJson, jsonEqual } from '../../core/model.js';

const shuffled = (v: unknown): unknown => {
  if (Array.isArray(v)) return v.map(shuffled);
  if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).reverse().map(([k, x]) => [k, shuffled(x)]));
  return v;
};

describe('core/model jsonEqual', () => {
  it('agrees with canonicalJson equality, key order aside', () => {
    fc.assert(fc.property(fc.jsonValue(), fc.jsonValue(), (a, b) => {
      expect(jsonEqual(a, b)).to.equal(canonicalJson(a) === canonicalJson(b));
      expect(jsonEqual(a, shuffled(a))).to.equal(true);
    }), { numRuns: 500 });
  });

  it('compares primitives as JSON prints them: non-finite numbers are null, -0 is 0', () => {
    const values = [0, -0, 1, 90, 80, NaN, Infinity, -Infinity, null, undefined, '', '0', 'null', true, false];
    for (const a of values) {
      for (const b of values) {
        expect(jsonEqual(a, b), `${String(a)} vs ${String(b)}`).to.equal(canonicalJson(a) === canonicalJson(b));
        expect(jsonEqual({ weight: a }, { weight: b }), `{weight: ${String(a)}} vs {weight: ${String(b)}}`)
          .to.equal(canonicalJson({ weight: a }) === canonicalJson({ weight: b }));
      }
    }
  });

  it('treats an undefined member as absent, as JSON does', () => {
    expect(jsonEqual({ a: 1, b: undefined }, { a: 1 })).to.equal(true);
    expect(jsonEqual({ a: 1 }, { a: 1, b: null })).to.equal(false);
    expect(jsonEqual([undefined], [null])).to.equal(true);
  });
});
