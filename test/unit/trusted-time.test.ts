// Trusted time: the time of each weight change is stamped on the VirtualService by the webhook (and by the plugin,
// the webhook stamping it again), never moved by anyone else; the policy's minimum time between weight changes and
// its ban on 0 % -> 100 % in one change read it. Going back to the stable subset always passes.
import { expect } from 'chai';
import { reviewIstioObject } from '../../core/admission.js';
import { STABLE_ANNOTATION } from '../../core/history.js';
import type { VirtualService } from '../../core/model.js';
import { parsePolicy } from '../../core/policy.js';
import { WEIGHTS_CHANGED_ANNOTATION, stampProblem, stampWeights, weightsChanged } from '../../core/trusted-time.js';
import type { AdmissionRequest } from '../../webhook/admission/review.js';
import { staticCache } from '../../webhook/cache.js';
import { buildServer } from '../../webhook/server.js';
import { FakeCluster } from '../support/fake-cluster.js';
import { bookinfo, weightedVs } from '../support/fixtures.js';
import { run } from '../support/run.js';

const NOW = new Date('2026-12-06T10:00:00Z');
const ago = (s: number) => new Date(NOW.getTime() - s * 1000).toISOString();
const stamped = (vs: VirtualService, at: string | undefined, stable?: string): VirtualService => ({
  ...vs, metadata: { ...vs.metadata, annotations: { ...(at ? { [WEIGHTS_CHANGED_ANNOTATION]: at } : {}), ...(stable ? { [STABLE_ANNOTATION]: stable } : {}) } },
});

describe('trusted time: the stamp of the last weight change, and the rules that read it', () => {
  it('a weight change is stamped now; any other change keeps the stamp it had; a moved stamp is named', () => {
    const before = stamped(weightedVs({ v1: 90, v2: 10 }), ago(600));
    const step = weightedVs({ v1: 50, v2: 50 });
    expect(weightsChanged(before, step)).to.equal(true);
    expect(stampWeights(before, step, NOW).metadata.annotations?.[WEIGHTS_CHANGED_ANNOTATION]).to.equal(NOW.toISOString());
    // The same shares written differently (weights 9/1 are 90 %/10 %) are no change.
    const same = weightedVs({ v1: 9, v2: 1 });
    expect(weightsChanged(before, same)).to.equal(false);
    expect(stampWeights(before, same, NOW).metadata.annotations?.[WEIGHTS_CHANGED_ANNOTATION]).to.equal(ago(600));
    expect(stampProblem(before, stamped(same, ago(1)), NOW)).to.contain('the weights did not change, but kubectl-gray.io/weights-changed-at did');
    expect(stampProblem(before, stamped(step, ago(3600)), NOW)).to.contain('not now');
    expect(stampProblem(before, stamped(step, ago(5)), NOW)).to.equal(undefined);
  });

  const judge = (before: VirtualService, after: VirtualService, raw: unknown) => reviewIstioObject({
    operation: 'UPDATE', object: after, oldObject: before, ...bookinfo(), policy: parsePolicy(raw), now: NOW,
  }).map((f) => `${f.code} ${f.severity}`);

  it('GRAY204: a weight change sooner than the policy allows is refused, saying until when; later, or going back, passes', () => {
    const policy = { minSecondsBetweenWeightChanges: 300 };
    const before = stamped(weightedVs({ v1: 90, v2: 10 }), ago(100), 'v1');
    const found = reviewIstioObject({ operation: 'UPDATE', object: stamped(weightedVs({ v1: 50, v2: 50 }), NOW.toISOString()), oldObject: before, ...bookinfo(), policy: parsePolicy(policy), now: NOW });
    expect(found.map((f) => f.code)).to.deep.equal(['GRAY204']);
    expect(found[0]!.problem).to.equal(`the weights last changed at ${ago(100)}, 100 s ago; admin policy asks for 300 s between weight changes`);
    expect(found[0]!.fix).to.contain(`wait until ${new Date(NOW.getTime() + 200_000).toISOString()}`);
    expect(judge(stamped(before, ago(400), 'v1'), stamped(weightedVs({ v1: 50, v2: 50 }), NOW.toISOString()), policy)).to.deep.equal([]);
    // Back to the stable subset (an abort) is always allowed.
    expect(judge(before, stamped(weightedVs({ v1: 100 }), NOW.toISOString()), policy)).to.deep.equal([]);
    // A relabel, no weight change: nothing to wait for.
    expect(judge(before, { ...before, metadata: { ...before.metadata, labels: { x: 'y' } } }, policy)).to.deep.equal([]);
  });

  it('GRAY206: a stamp that is not the webhook\'s (moved without a weight change, or an old time on a change) is refused, and cannot be relaxed', () => {
    const policy = { minSecondsBetweenWeightChanges: 300, rules: { 'weight-change-too-soon': 'off' } };
    const before = stamped(weightedVs({ v1: 90, v2: 10 }), ago(100));
    expect(judge(before, stamped(weightedVs({ v1: 50, v2: 50 }), ago(3600)), policy)).to.deep.equal(['GRAY206 error']);
    expect(judge(before, stamped(weightedVs({ v1: 90, v2: 10 }), ago(3600)), policy)).to.deep.equal(['GRAY206 error']);
    expect(() => parsePolicy({ rules: { 'weights-stamp': 'off' } })).to.throw(/cannot be relaxed/);
  });

  it('GRAY205: 0 % -> 100 % of a route in one change, where the policy forbids it; going back is allowed', () => {
    const policy = { forbidZeroToHundred: true };
    expect(judge(stamped(weightedVs({ v1: 100 }), undefined, 'v1'), weightedVs({ v2: 100 }), policy)).to.deep.equal(['GRAY205 error']);
    expect(judge(weightedVs({ v1: 100 }), weightedVs({ v1: 90, v2: 10 }), policy)).to.deep.equal([]);
    expect(judge(stamped(weightedVs({ v2: 100 }), undefined, 'v1'), weightedVs({ v1: 100 }), policy)).to.deep.equal([]);
    expect(() => parsePolicy({ forbidZeroToHundred: 'yes' })).to.throw(/forbidZeroToHundred/);
    expect(() => parsePolicy({ minSecondsBetweenWeightChanges: 0 })).to.throw(/at least 1/);
  });

  it('the plugin stamps its writes and refuses locally a second change too soon, with the webhook\'s code, before any write', async () => {
    const fake = new FakeCluster('default', bookinfo().objects);
    fake.policy = { minSecondsBetweenWeightChanges: 300 };
    expect((await run(fake, ['set-weight', 'reviews', 'v2=10'])).code).to.equal(0);
    expect(fake.vs('reviews').metadata.annotations?.[WEIGHTS_CHANGED_ANNOTATION]).to.match(/^\d{4}-\d\d-\d\dT/);
    const again = await run(fake, ['set-weight', 'reviews', 'v2=20']);
    expect(again.code).to.equal(3);
    expect(again.stderr).to.contain('GRAY204 weight-change-too-soon');
    expect(fake.writes).to.have.length(1);
    // Going back to v1 (recorded as stable by the first change) passes at once.
    expect((await run(fake, ['rollback', 'reviews'])).code).to.equal(0);
  });

  it('the webhook stamps with its own clock, whatever the client wrote, and keeps the stamp on other updates', async () => {
    const app = buildServer({ cache: staticCache([], []), policy: () => parsePolicy({}), now: () => NOW });
    const patchOf = async (req: Partial<AdmissionRequest>) => {
      const request = { uid: 'u', kind: { group: 'networking.istio.io', version: 'v1', kind: 'VirtualService' }, operation: 'UPDATE', ...req };
      const res = (await app.inject({ method: 'POST', url: '/mutate', payload: { apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview', request } })).json();
      const patch = res.response.patch as string | undefined;
      return (patch ? JSON.parse(Buffer.from(patch, 'base64').toString()) as Array<{ op: string; path: string; value?: unknown }> : []).filter((op) => op.path.includes('annotations'));
    };
    const before = stamped(weightedVs({ v1: 90, v2: 10 }), ago(600));
    expect(await patchOf({ oldObject: before, object: stamped(weightedVs({ v1: 50, v2: 50 }), ago(9999)) }))
      .to.deep.equal([{ op: 'replace', path: '/metadata/annotations/kubectl-gray.io~1weights-changed-at', value: NOW.toISOString() }]);
    expect(await patchOf({ oldObject: before, object: stamped(weightedVs({ v1: 90, v2: 10 }), ago(1)) }))
      .to.deep.equal([{ op: 'replace', path: '/metadata/annotations/kubectl-gray.io~1weights-changed-at', value: ago(600) }]);
    expect(await patchOf({ oldObject: before, object: before })).to.deep.equal([]);
  });
});
