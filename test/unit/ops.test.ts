import { expect } from 'chai';
import { HISTORY_ANNOTATION, HISTORY_LIMIT, STABLE_ANNOTATION, readHistory, recordChange, rememberStable, undoTo } from '../../core/history.js';
import { type HeaderMatchIntent, cookieIntent, markedRoute } from '../../core/ops/match.js';
import { parseMirrorPercent } from '../../core/ops/mirror.js';
import type { VirtualService } from '../../core/model.js';
import { planRollback } from '../../core/service-plan.js';
import { clearServiceMirror, mirrorService, switchService, withMarkedRoutes } from '../../core/traffic.js';
import { setWeight } from '../../core/ops/set-weight.js';
import { re2Matches } from '../../core/re2.js';
import { bookinfo, weightedVs } from '../support/fixtures.js';

const NOW = new Date('2026-11-23T10:00:00Z');
const REVIEWS = 'reviews.default.svc.cluster.local';
const matchHeader = (vs: VirtualService, intent: HeaderMatchIntent) => withMarkedRoutes(vs, REVIEWS, markedRoute(intent));
const switchTo = (vs: VirtualService, i: number, subset: string) => switchService(vs, i, REVIEWS, subset);
const setMirror = (vs: VirtualService, i: number, subset: string, percent?: number) => mirrorService(vs, i, REVIEWS, subset, percent);
const clearMirror = (vs: VirtualService, i: number) => clearServiceMirror(vs, i, REVIEWS);
/** rollback through the plan every command uses: the one VirtualService's planned result. */
function rollback(vs: VirtualService, to?: string): { vs: VirtualService } {
  const plan = planRollback([vs], { service: 'reviews', namespace: 'default', change: 'rollback', verb: 'rolled back', now: NOW, plan: 'p' }, to);
  return { vs: (plan.changes[0]!.after ?? plan.changes[0]!.before) as VirtualService };
}

describe('core/ops', () => {
  describe('switch', () => {
    it('sends 100% to one subset and removes the others from the route', () => {
      const next = switchTo(weightedVs({ v1: 90, v2: 10 }), 0, 'v2');
      expect(next.spec.http![0]!.route).to.deep.equal([{ destination: { host: 'reviews', subset: 'v2' }, weight: 100 }]);
    });
    it('adds the subset when the route does not have it yet, and keeps route fields', () => {
      const next = switchTo(bookinfo().reviews, 0, 'v2');
      expect(next.spec.http![0]!.route).to.deep.equal([{ destination: { host: 'reviews', subset: 'v2' }, weight: 100 }]);
      expect(next.spec.http![0]!['timeout']).to.equal('10s');
    });
  });

  describe('match-header / match-cookie', () => {
    it('inserts the match route before the catch-all, served like it (timeout, retries)', () => {
      const next = matchHeader(bookinfo().reviews, { header: 'end-user', value: 'jason', kind: 'exact', subset: 'v3' });
      expect(next.spec.http).to.have.length(2);
      expect(next.spec.http![0]).to.deep.equal({
        name: 'gray-v3-end-user-jason',
        match: [{ headers: { 'end-user': { exact: 'jason' } } }],
        route: [{ destination: { host: 'reviews', subset: 'v3' } }],
        timeout: '10s',
        retries: { attempts: 3, perTryTimeout: '2s' },
      });
      expect(next.spec.http![1]!.match).to.equal(undefined);
    });
    it('replaces the destination when the same match exists (idempotent)', () => {
      const once = matchHeader(bookinfo().reviews, { header: 'end-user', value: 'jason', kind: 'exact', subset: 'v3' });
      const twice = matchHeader(once, { header: 'end-user', value: 'jason', kind: 'exact', subset: 'v3' });
      expect(twice).to.deep.equal(once);
      const moved = matchHeader(once, { header: 'end-user', value: 'jason', kind: 'exact', subset: 'v2' });
      expect(moved.spec.http).to.have.length(2);
      expect(moved.spec.http![0]!.route).to.deep.equal([{ destination: { host: 'reviews', subset: 'v2' } }]);
    });
    it('keeps prefix and regex matches as such', () => {
      const p = matchHeader(bookinfo().reviews, { header: 'End-User', value: 'ja', kind: 'prefix', subset: 'v3' });
      expect(p.spec.http![0]!.match).to.deep.equal([{ headers: { 'end-user': { prefix: 'ja' } } }]);
      const r = matchHeader(bookinfo().reviews, { header: 'user-agent', value: '.*Mobile.*', kind: 'regex', subset: 'v2' });
      expect(r.spec.http![0]!.match).to.deep.equal([{ headers: { 'user-agent': { regex: '.*Mobile.*' } } }]);
    });
    it('matches a cookie pair anywhere in the Cookie header, and nothing else', () => {
      const intent = cookieIntent('canary', 'true', 'v2');
      expect(intent.header).to.equal('cookie');
      const re = intent.value;
      for (const yes of ['canary=true', 'a=b; canary=true', 'canary=true; a=b', 'x=1;canary=true;y=2']) expect(re2Matches(re, yes), yes).to.equal(true);
      for (const no of ['canary=false', 'notcanary=true', 'canary=truey', 'a=canary=true', '']) expect(re2Matches(re, no), no).to.equal(false);
      const next = matchHeader(bookinfo().reviews, intent);
      expect(next.spec.http![0]!.name).to.equal('gray-v2-cookie-canary-true');
    });
    it('quotes regex metacharacters of cookie names and values', () => {
      const re = cookieIntent('a.b', 'x+y', 'v2').value;
      expect(re2Matches(re, 'a.b=x+y')).to.equal(true);
      expect(re2Matches(re, 'aXb=xxy')).to.equal(false);
    });
  });

  describe('mirror', () => {
    it('sets mirror and mirrorPercentage on the route', () => {
      const next = setMirror(bookinfo().reviews, 0, 'v2', 12.5);
      expect(next.spec.http![0]!.mirror).to.deep.equal({ host: 'reviews', subset: 'v2' });
      expect(next.spec.http![0]!.mirrorPercentage).to.deep.equal({ value: 12.5 });
      expect(setMirror(bookinfo().reviews, 0, 'v2').spec.http![0]!.mirrorPercentage).to.deep.equal({ value: 100 });
      expect(clearMirror(next, 0).spec.http![0]).to.deep.equal(bookinfo().reviews.spec.http![0]);
    });
    it('refuses to mirror a route to the subset it already serves, or over mirrors[]', () => {
      expect(() => setMirror(bookinfo().reviews, 0, 'v1')).to.throw('already sends all traffic to v1');
      const vs = bookinfo().reviews;
      vs.spec.http![0]!.mirrors = [{ destination: { host: 'reviews', subset: 'v2' } }];
      expect(() => setMirror(vs, 0, 'v3')).to.throw('uses mirrors[]');
    });
    it('reads percentages in [0, 100] with decimals', () => {
      expect(parseMirrorPercent('12.5')).to.equal(12.5);
      expect(parseMirrorPercent(undefined)).to.equal(undefined);
      expect(() => parseMirrorPercent('101')).to.throw('--percent "101": must be a number between 0 and 100');
      expect(() => parseMirrorPercent('lots')).to.throw('--percent "lots"');
    });
  });

  describe('stable subset and rollback', () => {
    it('remembers the stable subset when the release starts, and only then', () => {
      const start = bookinfo().reviews;
      const canary = rememberStable(start, setWeight(start, 0, [{ subset: 'v2', percent: 10 }]), 0);
      expect(canary.metadata.annotations?.[STABLE_ANNOTATION]).to.equal('v1');
      const later = rememberStable(canary, switchTo(canary, 0, 'v2'), 0);
      expect(later.metadata.annotations?.[STABLE_ANNOTATION]).to.equal('v1');
    });
    it('removes its own match routes and the mirror, and returns 100% to stable', () => {
      let vs = bookinfo().reviews;
      vs.spec.http!.unshift({ name: 'hand-made', match: [{ headers: { 'x-admin': { exact: '1' } } }], route: [{ destination: { host: 'reviews', subset: 'v1' } }] });
      const before = vs;
      vs = setWeight(vs, 1, [{ subset: 'v2', percent: 30 }]);
      vs = rememberStable(before, vs, 1);
      vs = matchHeader(vs, { header: 'end-user', value: 'jason', kind: 'exact', subset: 'v3' });
      vs = setMirror(vs, 2, 'v3', 5);
      const { vs: back } = rollback(vs);
      expect(back.spec.http!.map((r) => r.name ?? 'default')).to.deep.equal(['hand-made', 'default']);
      expect(back.spec.http![1]!.route).to.deep.equal([{ destination: { host: 'reviews', subset: 'v1' }, weight: 100 }]);
      expect(back.spec.http![1]!.mirror).to.equal(undefined);
      expect(back.spec.http![1]!['retries']).to.deep.equal({ attempts: 3, perTryTimeout: '2s' });
      expect(back.metadata.annotations?.[STABLE_ANNOTATION]).to.equal(undefined);
      expect(back.metadata.annotations?.['owner']).to.equal('team-reviews');
    });
    it('needs --to when nothing was recorded', () => {
      expect(() => rollback(weightedVs({ v1: 50, v2: 50 }))).to.throw('has no recorded stable subset (annotation kubectl-gray.io/stable-subset); name it with --to SUBSET');
      expect(rollback(weightedVs({ v1: 50, v2: 50 }), 'v2').vs.spec.http![0]!.route).to.have.length(1);
    });
  });

  describe('history and undo', () => {
    it('records the previous spec with a rising revision, bounded', () => {
      let vs = bookinfo().reviews;
      for (let i = 1; i <= HISTORY_LIMIT + 5; i++) {
        vs = recordChange(vs, setWeight(vs, 0, [{ subset: 'v2', percent: i % 100 }], { keepZero: true }), `set-weight v2=${i}`, NOW);
      }
      const entries = readHistory(vs);
      expect(entries).to.have.length(HISTORY_LIMIT);
      expect(entries.at(-1)!.revision).to.equal(HISTORY_LIMIT + 5);
      expect(entries[0]!.revision).to.equal(6);
      expect(entries.at(-1)!.change).to.equal(`set-weight v2=${HISTORY_LIMIT + 5}`);
    });
    it('undo restores the spec from before the last change, or before revision N', () => {
      const v0 = bookinfo().reviews;
      const v1 = recordChange(v0, setWeight(v0, 0, [{ subset: 'v2', percent: 10 }]), 'set-weight v2=10', NOW);
      const v2 = recordChange(v1, switchTo(v1, 0, 'v2'), 'switch v2', NOW);
      expect(undoTo(v2).vs.spec).to.deep.equal(v1.spec);
      expect(undoTo(v2, 1).vs.spec).to.deep.equal(v0.spec);
      expect(() => undoTo(v2, 9)).to.throw('has no revision 9 (kept: 1, 2)');
      expect(() => undoTo(v0)).to.throw('has no kubectl-gray history to undo');
    });
    it('survives a hand-mangled history annotation', () => {
      const vs = bookinfo().reviews;
      vs.metadata.annotations![HISTORY_ANNOTATION] = '{not json';
      expect(readHistory(vs)).to.deep.equal([]);
      expect(readHistory(recordChange(vs, vs, 'x', NOW))).to.have.length(1);
    });
  });
});
