import { expect } from 'chai';
import fc from 'fast-check';
import type { VirtualService } from '../../core/model.js';
import { setWeight } from '../../core/ops/set-weight.js';
import { bookinfo, weightedVs } from '../support/fixtures.js';

const weightsOf = (vs: VirtualService, route = 0) =>
  Object.fromEntries((vs.spec.http![route]!.route ?? []).map((d) => [d.destination.subset, d.weight]));

describe('core/ops/set-weight', () => {
  it('canary from a single subset: v2=10 leaves v1 the other 90', () => {
    const { reviews } = bookinfo();
    const next = setWeight(reviews, 0, [{ subset: 'v2', percent: 10 }]);
    expect(weightsOf(next)).to.deep.equal({ v1: 90, v2: 10 });
    expect(next.spec.http![0]!.route![1]!.destination).to.deep.equal({ host: 'reviews', subset: 'v2' });
  });

  it('keeps the other destinations in their old proportion', () => {
    expect(weightsOf(setWeight(weightedVs({ v1: 50, v3: 50 }), 0, [{ subset: 'v2', percent: 10 }]))).to.deep.equal({ v1: 45, v3: 45, v2: 10 });
    expect(weightsOf(setWeight(weightedVs({ v1: 75, v3: 25 }), 0, [{ subset: 'v2', percent: 20 }]))).to.deep.equal({ v1: 60, v3: 20, v2: 20 });
    expect(weightsOf(setWeight(weightedVs({ v1: 1, v3: 1, v4: 1 }), 0, [{ subset: 'v2', percent: 0 }], { keepZero: true })))
      .to.deep.equal({ v1: 34, v3: 33, v4: 33, v2: 0 });
  });

  it('walks a canary 10 -> 50 -> 100 and drops the old subset at 0', () => {
    let vs = bookinfo().reviews;
    for (const p of [10, 50]) vs = setWeight(vs, 0, [{ subset: 'v2', percent: p }]);
    expect(weightsOf(vs)).to.deep.equal({ v1: 50, v2: 50 });
    vs = setWeight(vs, 0, [{ subset: 'v2', percent: 100 }]);
    expect(weightsOf(vs)).to.deep.equal({ v2: 100 });
  });

  it('keeps a zero destination with keepZero', () => {
    const vs = setWeight(weightedVs({ v1: 90, v2: 10 }), 0, [{ subset: 'v2', percent: 100 }], { keepZero: true });
    expect(weightsOf(vs)).to.deep.equal({ v1: 0, v2: 100 });
  });

  it('refuses a remainder with nowhere to go, naming the fix', () => {
    expect(() => setWeight(bookinfo().reviews, 0, [{ subset: 'v1', percent: 90 }]))
      .to.throw('v1=90 leaves 10% with nowhere to go: VirtualService default/reviews spec.http[0] has no other destination. Name the subset that takes the rest, e.g. v1=90 <other>=10');
  });

  it('leaves everything it does not own untouched', () => {
    const { reviews } = bookinfo();
    const next = setWeight(reviews, 0, [{ subset: 'v2', percent: 10 }]);
    expect(next.spec.http![0]!['retries']).to.deep.equal({ attempts: 3, perTryTimeout: '2s' });
    expect(next.spec.http![0]!['timeout']).to.equal('10s');
    expect(next.metadata.labels).to.deep.equal({ team: 'shop' });
    expect(next.metadata.annotations).to.deep.equal({ owner: 'team-reviews' });
    expect(reviews.spec.http![0]!.route).to.have.length(1); // the input is not mutated
  });

  it('edits only the chosen route of several', () => {
    const vs = weightedVs({ v1: 100 });
    vs.spec.http!.unshift({ name: 'api', match: [{ uri: { prefix: '/api' } }], route: [{ destination: { host: 'reviews', subset: 'v1' }, weight: 100 }] });
    const next = setWeight(vs, 0, [{ subset: 'v3', percent: 30 }]);
    expect(weightsOf(next, 0)).to.deep.equal({ v1: 70, v3: 30 });
    expect(next.spec.http![1]).to.deep.equal(vs.spec.http![1]);
  });

  describe('properties', () => {
    // 200 generated routes keep this test near 0.3 s on an idle 2-core machine; PROPERTY_RUNS=5000 searches deeper.
    const PROPERTY_RUNS = Number(process.env['PROPERTY_RUNS'] ?? 200);
    const subsetName = fc.constantFrom('v1', 'v2', 'v3', 'v4', 'v5', 'blue', 'green');
    const routeArb = fc.uniqueArray(fc.record({ subset: subsetName, weight: fc.integer({ min: 0, max: 100 }), extra: fc.string() }),
      { minLength: 1, maxLength: 5, selector: (d) => d.subset });
    const intentArb = fc.uniqueArray(fc.record({ subset: subsetName, percent: fc.integer({ min: 0, max: 100 }) }),
      { minLength: 1, maxLength: 3, selector: (i) => i.subset })
      .filter((xs) => xs.reduce((a, x) => a + x.percent, 0) <= 100);

    function vsOf(dests: Array<{ subset: string; weight: number; extra: string }>): VirtualService {
      return {
        apiVersion: 'networking.istio.io/v1beta1', kind: 'VirtualService',
        metadata: { name: 'r', namespace: 'default', annotations: { keep: 'me' } },
        spec: {
          hosts: ['r'], unknownTopLevel: { a: 1 },
          http: [
            { name: 'other', match: [{ headers: { x: { exact: 'y' } } }], route: [{ destination: { host: 'r', subset: 'v1' } }] },
            { route: dests.map((d) => ({ destination: { host: 'r', subset: d.subset, port: { number: 9080 } }, weight: d.weight, unknownField: d.extra })), corsPolicy: { allowOrigins: [] } },
          ],
        },
      };
    }

    it('always totals exactly 100, honours every intent, loses no route or unknown field', () => {
      fc.assert(fc.property(routeArb, intentArb, fc.boolean(), (dests, intents, keepZero) => {
        const vs = vsOf(dests);
        let next: VirtualService;
        try {
          next = setWeight(vs, 1, intents, { keepZero });
        } catch (err) {
          // The only refusal: the remainder has no other destination to go to, or nothing is left.
          const named = new Set(intents.map((i) => i.subset));
          const others = dests.filter((d) => !named.has(d.subset));
          const rest = 100 - intents.reduce((a, i) => a + i.percent, 0);
          expect((others.length === 0 && rest > 0) || intents.every((i) => i.percent === 0)).to.equal(true, String(err));
          return;
        }
        const route = next.spec.http![1]!.route!;
        expect(route.reduce((a, d) => a + (d.weight ?? 0), 0)).to.equal(100);
        for (const i of intents) {
          const d = route.find((x) => x.destination.subset === i.subset);
          if (i.percent > 0 || keepZero) expect(d?.weight).to.equal(i.percent);
        }
        for (const d of dests) {
          const kept = route.find((x) => x.destination.subset === d.subset);
          if (kept) {
            expect(kept['unknownField']).to.equal(d.extra);
            expect(kept.destination.port).to.deep.equal({ number: 9080 });
          } else {
            expect(keepZero).to.equal(false); // only a destination at 0 may leave, and only without keepZero
          }
        }
        expect(next.spec.http![0]).to.deep.equal(vs.spec.http![0]);
        expect(next.spec['unknownTopLevel']).to.deep.equal({ a: 1 });
        expect(next.spec.http![1]!['corsPolicy']).to.deep.equal({ allowOrigins: [] });
        expect(next.metadata.annotations).to.deep.equal({ keep: 'me' });
      }), { numRuns: PROPERTY_RUNS });
    });
  });
});
