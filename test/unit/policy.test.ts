// Admin policy as objects: parsing for each scope, the strictest-wins merge (a namespace can only tighten), freeze
// windows in a time zone across daylight saving changes, exemptions that expire, and what each finding becomes.
import { expect } from 'chai';
import { reviewIstioObject, stepsBetween } from '../../core/admission.js';
import { freezeAt, nextFreeze, inZone } from '../../core/freeze-windows.js';
import {
  type PolicyObject, applyPolicy, exemptionFor, mergePolicies, parsePolicy, parsePolicyObject, policiesFor, selectorMatches,
} from '../../core/policy.js';
import { finding } from '../../core/rules.js';
import { FakeCluster } from '../support/fake-cluster.js';
import { bookinfo, weightedVs } from '../support/fixtures.js';
import { run } from '../support/run.js';

const cluster = (name: string, spec: Record<string, unknown>): PolicyObject => parsePolicyObject({ kind: 'ClusterGrayPolicy', metadata: { name }, spec });
const local = (ns: string, name: string, spec: Record<string, unknown>): PolicyObject => parsePolicyObject({ kind: 'GrayPolicy', metadata: { name, namespace: ns }, spec });

describe('admin policy objects', () => {
  it('parses each scope strictly: a namespaced policy may not exempt anyone or forbid namespaces; typos are named', () => {
    expect(() => local('shop', 'loose', { exemptions: [], forbiddenNamespaces: ['x'] })).to.throw(
      'GrayPolicy loose: policy has 2 problem(s):\n  [exemptions] unknown key (only a ClusterGrayPolicy sets it');
    expect(() => cluster('prod', { maxWeightStpe: 10 })).to.throw('[maxWeightStpe] unknown key');
    expect(() => cluster('prod', { freezeWindows: [{ schedule: '0 18 * * 5', duration: '2 days', timeZone: 'Europe/Berln' }] })).to.throw(
      /duration: "2 days" must be hours, minutes and seconds[\s\S]*timeZone: "Europe\/Berln" is not an IANA time zone/);
    expect(() => cluster('prod', { freezeWindows: [{ schedule: '0 18 * *', duration: '1h' }] })).to.throw('is not a five-field cron schedule');
    expect(() => cluster('prod', { exemptions: [{ subjects: [{ kind: 'ServiceAccount', name: 'ci' }], rules: ['weight-negative'], expires: 'soon' }] })).to.throw(
      /a ServiceAccount needs its namespace[\s\S]*weight-negative: Istio itself refuses this[\s\S]*expires: an ISO 8601 time is required[\s\S]*reason: required/);
    // A rule may be named by its code too.
    expect(cluster('prod', { rules: { GRAY202: 'audit' } }).spec.rules).to.deep.equal({ 'weight-step': 'audit' });
  });

  it('selects namespaces by label, as Kubernetes selectors do', () => {
    expect(selectorMatches({ matchLabels: { env: 'prod' } }, { env: 'prod', team: 'a' })).to.equal(true);
    expect(selectorMatches({ matchExpressions: [{ key: 'env', operator: 'In', values: ['prod', 'stage'] }] }, { env: 'dev' })).to.equal(false);
    expect(selectorMatches({ matchExpressions: [{ key: 'env', operator: 'DoesNotExist' }] }, {})).to.equal(true);
    expect(selectorMatches(undefined, {})).to.equal(true);
    const objects = [cluster('all', {}), cluster('prod', { namespaceSelector: { matchLabels: { env: 'prod' } } }), local('shop', 'own', {}), local('other', 'theirs', {})];
    expect(policiesFor(objects, 'shop', { env: 'prod' }).map((p) => p.metadata.name)).to.deep.equal(['all', 'prod', 'own']);
    expect(policiesFor(objects, 'shop', { env: 'dev' }).map((p) => p.metadata.name)).to.deep.equal(['all', 'own']);
  });

  it('merges so the strictest setting wins, and a namespaced policy only ever tightens', () => {
    const merged = mergePolicies([
      cluster('base', { rules: { 'subset-undefined': 'warn', 'weight-total': 'audit' }, maxWeightStep: 30, forbiddenNamespaces: ['legacy'] }),
      cluster('prod', { maxWeightStep: 20, minSecondsBetweenWeightChanges: 300, rules: { 'weight-total': 'warn' } }),
      // Trying to loosen: off where the cluster enforces or warns, a bigger step, a shorter soak. None of it counts.
      local('shop', 'loose', { rules: { 'weight-step': 'off', 'subset-undefined': 'off' }, maxWeightStep: 50, minSecondsBetweenWeightChanges: 10 }),
      local('shop', 'tight', { rules: { 'weight-total': 'enforce' }, maxWeightStep: 10, forbidZeroToHundred: true }),
    ]);
    expect(merged.rules).to.deep.equal({ 'subset-undefined': 'warn', 'weight-total': 'enforce' });
    expect(merged.maxWeightStep).to.equal(10);
    expect(merged.minSecondsBetweenWeightChanges).to.equal(300);
    expect(merged.forbidZeroToHundred).to.equal(true);
    expect(merged.forbiddenNamespaces).to.deep.equal(['legacy']);
    expect(merged.sources).to.deep.include({
      maxWeightStep: 'GrayPolicy shop/tight', minSecondsBetweenWeightChanges: 'ClusterGrayPolicy prod', 'rules.weight-total': 'GrayPolicy shop/tight',
      'rules.subset-undefined': 'ClusterGrayPolicy base', forbidZeroToHundred: 'GrayPolicy shop/tight',
    });
  });

  it('names the policy behind a refusal, and proposes the steps that fit', () => {
    const policy = mergePolicies([cluster('prod', { maxWeightStep: 20 })]);
    const found = reviewIstioObject({ operation: 'UPDATE', oldObject: weightedVs({ v1: 90, v2: 10 }), object: weightedVs({ v1: 50, v2: 50 }), ...bookinfo(), policy, now: new Date() });
    expect(found).to.have.length(1);
    expect(found[0]).to.include({ code: 'GRAY202', policy: 'ClusterGrayPolicy prod' });
    expect(found[0]!.fix).to.equal('change the weights in steps of at most 20: v2 10 -> 30 -> 50');
    expect(stepsBetween(10, 50, 20)).to.deep.equal([10, 30, 50]);
    expect(stepsBetween(0, 100, 30)).to.deep.equal([0, 25, 50, 75, 100]);
  });
});

describe('freeze windows', () => {
  // Friday 18:00 for 62 hours, Berlin time: until Monday 08:00 in winter and summer alike, but 62 elapsed hours.
  const weekend = { schedule: '0 18 * * 5', duration: '62h', timeZone: 'Europe/Berlin', reason: 'weekend' };

  it('reads a cron schedule in its time zone, across the spring daylight saving change', () => {
    // 2027-03-26 is a Friday: 18:00 CET is 17:00 UTC. The clocks go forward on Sunday 28 March.
    expect(freezeAt(weekend, new Date('2027-03-26T16:59:00Z'))).to.equal(undefined);
    const f = freezeAt(weekend, new Date('2027-03-26T17:00:00Z'))!;
    expect(f.start.toISOString()).to.equal('2027-03-26T17:00:00.000Z');
    // 62 hours later is Monday 07:00 UTC, 09:00 CEST: an hour later on the wall clock than in winter.
    expect(f.end.toISOString()).to.equal('2027-03-29T07:00:00.000Z');
    expect(inZone(f.end, 'Europe/Berlin')).to.equal('2027-03-29 09:00 GMT+2');
    expect(freezeAt(weekend, new Date('2027-03-29T06:59:00Z'))).to.not.equal(undefined);
    expect(freezeAt(weekend, new Date('2027-03-29T07:00:00Z'))).to.equal(undefined);
    // The next Friday is summer time: 18:00 CEST is 16:00 UTC.
    expect(nextFreeze(weekend, new Date('2027-03-29T07:00:00Z'))!.start.toISOString()).to.equal('2027-04-02T16:00:00.000Z');
  });

  it('and across the autumn one; a time that does not exist that night runs at the next that does', () => {
    // 2027-10-29 is a Friday in summer time; the clocks go back on Sunday 31 October.
    expect(freezeAt(weekend, new Date('2027-10-29T16:00:00Z'))!.start.toISOString()).to.equal('2027-10-29T16:00:00.000Z');
    expect(nextFreeze(weekend, new Date('2027-10-31T12:00:00Z'))!.start.toISOString()).to.equal('2027-11-05T17:00:00.000Z');
    // 02:30 does not exist in Berlin on 28 March 2027 (02:00 jumps to 03:00).
    const nightly = { schedule: '30 2 * * *', duration: '30m', timeZone: 'Europe/Berlin' };
    expect(nextFreeze(nightly, new Date('2027-03-27T12:00:00Z'))!.start.toISOString()).to.equal('2027-03-28T01:00:00.000Z');
  });

  it('refuses a step forward inside a window, naming the window and its policy, and lets going back through', () => {
    const policy = mergePolicies([cluster('prod', { freezeWindows: [weekend] })]);
    const judge = (from: Record<string, number>, to: Record<string, number>, now: string) => reviewIstioObject({
      operation: 'UPDATE', oldObject: { ...weightedVs(from), metadata: { ...weightedVs(from).metadata, annotations: { 'kubectl-gray.io/stable-subset': 'v1' } } },
      object: weightedVs(to), ...bookinfo(), policy, now: new Date(now),
    });
    const frozen = judge({ v1: 90, v2: 10 }, { v1: 80, v2: 20 }, '2027-03-27T12:00:00Z');
    expect(frozen.map((f) => f.code)).to.deep.equal(['GRAY203']);
    expect(frozen[0]!.problem).to.equal('releases are frozen from 2027-03-26T17:00:00.000Z to 2027-03-29T07:00:00.000Z (weekend) by ClusterGrayPolicy prod, window "0 18 * * 5" in Europe/Berlin for 62h');
    expect(judge({ v1: 80, v2: 20 }, { v1: 100, v2: 0 }, '2027-03-27T12:00:00Z')).to.deep.equal([]);
    expect(judge({ v1: 90, v2: 10 }, { v1: 80, v2: 20 }, '2027-03-29T07:00:00Z')).to.deep.equal([]);
  });
});

describe('exemptions and modes', () => {
  const NOW = new Date('2026-12-06T10:00:00Z');
  const policy = mergePolicies([cluster('prod', {
    rules: { 'weight-total': 'audit', 'subset-undefined': 'warn' },
    exemptions: [
      { subjects: [{ kind: 'Group', name: 'sre-oncall' }], rules: ['release-freeze', 'GRAY202'], expires: '2026-12-06T12:00:00Z', reason: 'INC-42 hotfix' },
      { subjects: [{ kind: 'ServiceAccount', namespace: 'ci', name: 'deployer' }], rules: ['release-freeze'], expires: '2026-12-01T00:00:00Z', reason: 'expired' },
    ],
  })]);
  const f = (rule: 'release-freeze' | 'weight-total' | 'subset-undefined' | 'weight-negative') => finding(rule, 'VirtualService shop/reviews', 'spec', 'p', 'x');

  it('an exemption lets its subjects pass its rules until it expires; never Istio\'s own rules', () => {
    const alice = { username: 'alice', groups: ['sre-oncall', 'system:authenticated'] };
    expect(exemptionFor(policy, 'release-freeze', alice, NOW)?.reason).to.equal('INC-42 hotfix');
    expect(exemptionFor(policy, 'weight-step', alice, NOW)?.reason).to.equal('INC-42 hotfix');
    expect(exemptionFor(policy, 'release-freeze', alice, new Date('2026-12-06T12:00:00Z'))).to.equal(undefined);
    expect(exemptionFor(policy, 'release-freeze', { username: 'bob', groups: ['dev'] }, NOW)).to.equal(undefined);
    expect(exemptionFor(policy, 'release-freeze', { username: 'system:serviceaccount:ci:deployer', groups: [] }, NOW)).to.equal(undefined);
    const [passed] = applyPolicy([f('release-freeze')], policy, alice, NOW);
    expect(passed!.relaxed).to.deep.equal({ by: 'exemption', policy: 'ClusterGrayPolicy prod', reason: 'INC-42 hotfix; until 2026-12-06T12:00:00Z' });
  });

  it('audit lets a finding pass but keeps it for the record; warn demotes it; Istio\'s rules stand', () => {
    const out = applyPolicy([f('weight-total'), f('subset-undefined'), f('weight-negative')], policy, undefined, NOW);
    expect(out.map((x) => [x.code, x.severity, x.relaxed?.by ?? '', x.policy ?? ''])).to.deep.equal([
      ['GRAY101', 'error', 'audit', ''], ['GRAY104', 'warning', '', 'ClusterGrayPolicy prod'], ['GRAY102', 'error', '', ''],
    ]);
    expect(parsePolicy({ rules: { 'weight-total': 'audit' } }).rules['weight-total']).to.equal('audit');
  });
});

describe('kubectl gray under policy objects', () => {
  const prod = { kind: 'ClusterGrayPolicy', metadata: { name: 'prod' }, spec: { namespaceSelector: { matchLabels: { env: 'prod' } }, maxWeightStep: 20 } };
  const freeze = (exemptions: unknown[] = []) => ({ kind: 'ClusterGrayPolicy', metadata: { name: 'freeze' }, spec: {
    freezeWindows: [{ start: '2026-11-23T00:00:00Z', end: '2026-11-24T00:00:00Z', reason: 'sale' }], exemptions,
  } });
  const cluster = (ns: string, labels: Record<string, string>, objects: unknown[]) => {
    const fake = new FakeCluster(ns, bookinfo(ns).objects);
    fake.policyObjectList = objects as never;
    fake.namespaceLabels = { [ns]: labels };
    return fake;
  };

  it('refuses locally what the policy for the namespace refuses, naming the policy and the steps that fit; elsewhere it passes', async () => {
    const fake = cluster('shop', { env: 'prod' }, [prod, { kind: 'GrayPolicy', metadata: { name: 'loose', namespace: 'shop' }, spec: { maxWeightStep: 100 } }]);
    const r = await run(fake, ['set-weight', 'reviews', 'v2=50', '-n', 'shop']);
    expect(r.code, r.stderr).to.equal(3);
    expect(r.stderr).to.contain('GRAY202 weight-step: VirtualService shop/reviews spec.http[0].route: moves 50 percentage points for v2 in one change; admin policy allows at most 20. Fix: change the weights in steps of at most 20: v2 0 -> 17 -> 33 -> 50');
    expect(fake.writes).to.have.length(0);
    const dev = cluster('dev', { env: 'dev' }, [prod]);
    expect((await run(dev, ['set-weight', 'reviews', 'v2=50', '-n', 'dev'])).code).to.equal(0);
  });

  it('lets an exempt user through a freeze, saying so; others are refused', async () => {
    const exemption = { subjects: [{ kind: 'Group', name: 'sre-oncall' }], rules: ['release-freeze'], expires: '2026-11-23T12:00:00Z', reason: 'INC-42' };
    const fake = cluster('shop', {}, [freeze([exemption])]);
    const refused = await run(fake, ['set-weight', 'reviews', 'v2=10', '-n', 'shop']);
    expect(refused.code).to.equal(3);
    expect(refused.stderr).to.contain('GRAY203 release-freeze: VirtualService shop/reviews metadata: releases are frozen from 2026-11-23T00:00:00.000Z to 2026-11-24T00:00:00.000Z (sale) by ClusterGrayPolicy freeze');
    fake.identity = { username: 'alice', groups: ['sre-oncall'] };
    const passed = await run(fake, ['set-weight', 'reviews', 'v2=10', '-n', 'shop']);
    expect(passed.code, passed.stderr).to.equal(0);
    expect(passed.stderr).to.contain('Warning: GRAY203 release-freeze: passed by an exemption of ClusterGrayPolicy freeze (INC-42; until 2026-11-23T12:00:00Z)');
  });

  it('policy explain: the policies, the merged limits with their sources, the freeze now and next, the caller\'s exemptions', async () => {
    const weekly = { kind: 'ClusterGrayPolicy', metadata: { name: 'weekend' }, spec: { freezeWindows: [{ schedule: '0 18 * * 5', duration: '62h', timeZone: 'Europe/Berlin', reason: 'weekend' }] } };
    const fake = cluster('shop', { env: 'prod' }, [prod, weekly, freeze([{ subjects: [{ kind: 'User', name: 'admin' }], rules: ['release-freeze'], expires: '2026-11-23T12:00:00Z', reason: 'INC-42' }])]);
    const r = await run(fake, ['policy', 'explain', '-n', 'shop']);
    expect(r.code, r.stderr).to.equal(0);
    expect(r.stdout).to.contain('Policies that apply in namespace shop:\n  ClusterGrayPolicy prod\n  ClusterGrayPolicy weekend\n  ClusterGrayPolicy freeze\n');
    expect(r.stdout).to.match(/maxWeightStep +20 +ClusterGrayPolicy prod/);
    expect(r.stdout).to.contain('2026-11-23T00:00:00Z to 2026-11-24T00:00:00Z (sale), ClusterGrayPolicy freeze\n    FROZEN NOW, until 2026-11-24 00:00 UTC');
    // FIXED_NOW is Monday 23 November 2026: the next weekend freeze starts Friday 27th, 18:00 Berlin time.
    expect(r.stdout).to.contain('"0 18 * * 5" in Europe/Berlin for 62h (weekend), ClusterGrayPolicy weekend\n    next: 2026-11-27 18:00 GMT+1');
    expect(r.stdout).to.contain('exempt from release-freeze until 2026-11-23T12:00:00Z (INC-42), by ClusterGrayPolicy freeze');
    // Who may not read the cluster's policies is told so, not told that none apply.
    fake.namespacedOnly = true;
    expect((await run(fake, ['policy', 'explain', '-n', 'shop'])).stdout).to.contain(
      'No admin policy you may read applies in namespace shop (you may not read ClusterGrayPolicies: the webhook applies them all the same).');
    fake.namespacedOnly = false;
    const json = JSON.parse((await run(fake, ['policy', 'explain', '-n', 'shop', '-o', 'json'])).stdout);
    expect(json.limits).to.deep.equal([{ limit: 'maxWeightStep', value: 20, policy: 'ClusterGrayPolicy prod' }]);
    expect(json.freezeWindows[0].next.start).to.equal('2026-11-27T17:00:00.000Z');
  });

  it('policy test: a command judged by policy files at a chosen time, written nowhere', async () => {
    const fake = cluster('shop', {}, []);
    const files = { 'weekend.yaml': 'kind: ClusterGrayPolicy\nmetadata: {name: weekend}\nspec:\n  freezeWindows:\n  - {schedule: "0 18 * * 5", duration: 62h, timeZone: Europe/Berlin, reason: weekend}\n' };
    const frozen = await run(fake, ['policy', 'test', '-f', 'weekend.yaml', '--at', '2027-03-27T10:00:00+01:00', '--', 'set-weight', 'reviews', 'v2=10', '-n', 'shop'], files);
    expect(frozen.code).to.equal(3);
    expect(frozen.stderr).to.contain('Judged at 2027-03-27T09:00:00.000Z by ClusterGrayPolicy weekend (from weekend.yaml); nothing is written.');
    expect(frozen.stderr).to.contain('GRAY203 release-freeze');
    const monday = await run(fake, ['policy', 'test', '-f', 'weekend.yaml', '--at', '2027-03-29T09:00:00+02:00', '--', 'set-weight', 'reviews', 'v2=10', '-n', 'shop'], files);
    expect(monday.code, monday.stderr).to.equal(0);
    expect(monday.stdout).to.contain('weight: 10');
    expect(fake.writes).to.have.length(0);
    const typo = await run(fake, ['policy', 'test', '-f', 'bad.yaml', '--', 'set-weight', 'reviews', 'v2=10'], { 'bad.yaml': 'kind: GrayPolicy\nmetadata: {name: x}\nspec: {exemptions: []}\n' });
    expect([typo.code, typo.stderr]).to.satisfy(([c, e]: [number, string]) => c === 2 && e.includes('bad.yaml: GrayPolicy x: policy has 1 problem(s)'));
  });
});

describe('the policy CRDs', () => {
  it('are what core/policy-schema.ts generates from the rule catalogue (node scripts/gen-policy-crds.mjs)', async () => {
    const { readFileSync } = await import('node:fs');
    const { join } = await import('node:path');
    const { ROOT } = await import('../support/fixtures.js');
    const { policyCrdsTemplate } = await import('../../core/policy-schema.js');
    expect(readFileSync(join(ROOT, 'charts/kubectl-gray/templates/policy-crds.yaml'), 'utf8')).to.equal(policyCrdsTemplate());
  });
});
