// The real CLI, in-process, against an in-memory cluster: exact stdout, stderr and exit codes.
import { expect } from 'chai';
import { STABLE_ANNOTATION } from '../../core/history.js';
import { ApiError } from '../../kube/errors.js';
import { FakeCluster } from '../support/fake-cluster.js';
import { bookinfo } from '../support/fixtures.js';
import { run } from '../support/run.js';

function shop(): FakeCluster {
  const fake = new FakeCluster('default', bookinfo().objects);
  fake.pods.push(
    { namespace: 'default', name: 'reviews-v1-a', labels: { app: 'reviews', version: 'v1' }, ready: true },
    { namespace: 'default', name: 'reviews-v2-a', labels: { app: 'reviews', version: 'v2' }, ready: true },
    { namespace: 'default', name: 'reviews-v3-a', labels: { app: 'reviews', version: 'v3' }, ready: false },
    { namespace: 'default', name: 'ratings-v1-a', labels: { app: 'ratings', version: 'v1' }, ready: true },
  );
  return fake;
}

const weights = (fake: FakeCluster, route = -1) =>
  fake.vs('reviews').spec.http!.at(route)!.route!.map((d) => `${d.destination.subset}=${d.weight ?? ''}`).join(' ');

describe('kubectl gray commands', () => {
  describe('set-weight', () => {
    it('prints what it did and writes once, with the resourceVersion it read', async () => {
      const fake = shop();
      const rv = fake.vs('reviews').metadata.resourceVersion;
      const r = await run(fake, ['set-weight', 'reviews', 'v2=10']);
      expect(r).to.deep.equal({
        code: 0,
        stdout: 'virtualservice.networking.istio.io/reviews reweighted\n  http[0] default (*): v1=90% v2=10%\n',
        stderr: '',
      });
      expect(fake.writes).to.have.length(1);
      expect(fake.writes[0]!.object.metadata.resourceVersion).to.equal(rv);
      expect(weights(fake)).to.equal('v1=90 v2=10');
      expect(fake.vs('reviews').metadata.annotations![STABLE_ANNOTATION]).to.equal('v1');
    });

    it('is safe to run twice: the second run changes nothing and writes nothing', async () => {
      const fake = shop();
      await run(fake, ['set-weight', 'reviews', 'v2=10']);
      const r = await run(fake, ['set-weight', 'reviews', 'v2=10']);
      expect(r.stdout).to.equal('virtualservice.networking.istio.io/reviews unchanged\n');
      expect(fake.writes).to.have.length(1);
    });

    it('refuses an undefined subset locally, with the rule code, and exits 3 without writing', async () => {
      const fake = shop();
      const r = await run(fake, ['set-weight', 'reviews', 'v4=10']);
      expect(r.code).to.equal(3);
      expect(r.stdout).to.equal('');
      expect(r.stderr).to.equal(
        'error: refused by 1 rule violation(s); nothing was changed:\n' +
        '  GRAY104 subset-undefined: VirtualService default/reviews spec.http[0].route[1].destination.subset: routes to subset "v4" of host reviews.default.svc.cluster.local, which DestinationRule default/reviews does not define (defined: v1, v2, v3). Fix: add subset "v4" to DestinationRule default/reviews first, or route to one of: v1, v2, v3\n');
      expect(fake.writes).to.have.length(0);
    });

    it('usage errors quote the token and point at help, exit 2', async () => {
      const r = await run(shop(), ['set-weight', 'reviews', 'v2=abc']);
      expect(r).to.deep.equal({
        code: 2, stdout: '',
        stderr: 'error: "v2=abc": expected SUBSET=PERCENT with an integer percent, e.g. v2=10\nSee \'kubectl gray set-weight -h\' for help and examples.\n',
      });
      const missing = await run(shop(), ['set-weight', 'reviews']);
      expect(missing.code).to.equal(2);
      expect(missing.stderr).to.equal('error: Not enough non-option arguments: got 1, need at least 2\nSee \'kubectl gray set-weight -h\' for help and examples.\n');
      const badOut = await run(shop(), ['set-weight', 'reviews', 'v2=1', '-o', 'table']);
      expect(badOut.stderr).to.contain('allowed formats are: yaml,json,name');
      const badDry = await run(shop(), ['set-weight', 'reviews', 'v2=1', '--dry-run=maybe']);
      expect(badDry.stderr).to.contain('--dry-run "maybe": must be none, client or server');
    });

    it('--dry-run=client prints the result and writes nothing; -o yaml and -o json parse', async () => {
      const fake = shop();
      const r = await run(fake, ['set-weight', 'reviews', 'v2=10', '--dry-run=client']);
      expect(r.stdout).to.equal([
        '--- virtualservice.networking.istio.io/reviews (default) (as read)',
        '+++ virtualservice.networking.istio.io/reviews (default) (planned)',
        '      team: shop',
        '    annotations:',
        '      owner: team-reviews',
        '+     kubectl-gray.io/stable-subset: v1',
        '+     kubectl-gray.io/weights-changed-at: 2026-11-23T10:00:00.000Z',
        '+     kubectl-gray.io/history: <1 entries>',
        '  spec:',
        '    hosts:',
        '      - reviews',
        '  ...',
        '          - destination:',
        '              host: reviews',
        '              subset: v1',
        '+           weight: 90',
        '+         - destination:',
        '+             host: reviews',
        '+             subset: v2',
        '+           weight: 10',
        '        retries:',
        '          attempts: 3',
        '          perTryTimeout: 2s',
        '',
      ].join('\n'));
      expect(fake.writes).to.have.length(0);
      const json = JSON.parse((await run(fake, ['set-weight', 'reviews', 'v2=20', '--dry-run=client', '-o', 'json'])).stdout);
      expect(json.spec.http[0].route.map((d: { weight: number }) => d.weight)).to.deep.equal([80, 20]);
      const yaml = (await run(fake, ['set-weight', 'reviews', 'v2=20', '--dry-run=client', '-o', 'yaml'])).stdout;
      expect(yaml).to.match(/^apiVersion: networking.istio.io\/v1\nkind: VirtualService\n/);
      expect((await run(fake, ['set-weight', 'reviews', 'v2=20', '-o', 'name'])).stdout).to.equal('virtualservice.networking.istio.io/reviews\n');
    });

    it('--dry-run=server sends the write with dryRun and keeps the stored object', async () => {
      const fake = shop();
      const before = structuredClone(fake.vs('reviews'));
      const r = await run(fake, ['set-weight', 'reviews', 'v2=10', '--dry-run=server']);
      expect(r.stdout.split('\n')[0]).to.equal('virtualservice.networking.istio.io/reviews reweighted (server dry run)');
      expect(fake.writes.map((w) => w.dryRun)).to.deep.equal(['server']);
      expect(fake.vs('reviews')).to.deep.equal(before);
    });

    it('retries on a conflict by re-reading and re-applying the intent, losing nobody\'s change', async () => {
      const fake = shop();
      let raced = false;
      fake.beforeWrite = (f) => {
        if (raced) return;
        raced = true; // someone else adds a header route between our read and our write
        const vs = f.vs('reviews');
        vs.spec.http!.unshift({ name: 'other-team', match: [{ headers: { x: { exact: '1' } } }], route: [{ destination: { host: 'reviews', subset: 'v1' } }] });
        vs.metadata.resourceVersion = '999';
      };
      const r = await run(fake, ['set-weight', 'reviews', 'v2=10']);
      expect(r.code).to.equal(0);
      expect(fake.vs('reviews').spec.http!.map((h) => h.name ?? 'default')).to.deep.equal(['other-team', 'default']);
      expect(weights(fake)).to.equal('v1=90 v2=10');
    });

    it('applies the admin policy the cluster publishes, with the webhook\'s codes, before writing', async () => {
      const fake = shop();
      fake.policy = { forbiddenNamespaces: [], maxWeightStep: 20, rules: { 'weight-total': 'warn' } };
      const big = await run(fake, ['set-weight', 'reviews', 'v2=50']);
      expect(big.code).to.equal(3);
      expect(big.stderr).to.contain('GRAY202 weight-step: VirtualService default/reviews spec.http[0].route: moves 50 percentage points for v2 in one change; admin policy allows at most 20');
      expect(fake.writes).to.have.length(0);
      expect((await run(fake, ['set-weight', 'reviews', 'v2=20'])).code).to.equal(0);
      fake.policy = { forbiddenNamespaces: ['default'] };
      const frozen = await run(fake, ['switch', 'reviews', 'v1']);
      expect([frozen.code, frozen.stderr.split('\n')[1]]).to.deep.equal([3, '  GRAY201 namespace-forbidden: VirtualService default/reviews metadata.namespace: gray changes are forbidden in namespace default by kubectl-gray admin policy. Fix: ask a cluster admin to lift it (forbiddenNamespaces)']);
    });

    it('reports a refusal by an admission webhook as kubectl does, exit 3', async () => {
      const fake = shop();
      fake.beforeWrite = () => {
        throw new ApiError(403, 'Forbidden', 'admission webhook "istio.validate.kubectl-gray.io" denied the request: kubectl-gray refused it (1 problem):\nGRAY203 release-freeze: ...');
      };
      const r = await run(fake, ['set-weight', 'reviews', 'v2=10']);
      expect([r.code, r.stdout]).to.deep.equal([3, '']);
      expect(r.stderr).to.equal('Error from server (Forbidden): admission webhook "istio.validate.kubectl-gray.io" denied the request: kubectl-gray refused it (1 problem):\nGRAY203 release-freeze: ...\n');
    });

    it('prints server warnings (an admission webhook\'s) on stderr', async () => {
      const fake = shop();
      fake.warnings = ['GRAY108 route-unreachable (IST0130): something'];
      const r = await run(fake, ['set-weight', 'reviews', 'v2=10']);
      expect(r.stderr).to.equal('Warning: GRAY108 route-unreachable (IST0130): something\n');
    });
  });

  describe('switch, match-header, match-cookie, mirror, rollback', () => {
    it('blue-green and back', async () => {
      const fake = shop();
      expect((await run(fake, ['switch', 'reviews', 'v2'])).stdout).to.equal('virtualservice.networking.istio.io/reviews switched\n  http[0] default (*): v2=100%\n');
      expect((await run(fake, ['rollback', 'reviews'])).stdout).to.equal('virtualservice.networking.istio.io/reviews rolled back\n  http[0] default (*): v1=100%\n');
    });

    it('rollback refuses to leave a VirtualService with no route (its general route was removed by hand), and writes nothing', async () => {
      const fake = shop();
      await run(fake, ['match-header', 'reviews', 'end-user=jason', '--subset', 'v3']);
      fake.vs('reviews').spec.http!.splice(1); // someone deleted the general route: only kubectl-gray's is left
      fake.add({ apiVersion: 'networking.istio.io/v1', kind: 'VirtualService', metadata: { name: 'reviews-mesh', namespace: 'default' },
        spec: { hosts: ['reviews'], http: [{ route: [{ destination: { host: 'reviews', subset: 'v1' } }] }] } });
      const log = fake.log.length;
      const r = await run(fake, ['rollback', 'reviews', '--to', 'v1']);
      expect(r.code).to.equal(2);
      expect(r.stderr).to.contain('VirtualService default/reviews would be left with no route: the routes this command removes ("gray-v3-end-user-jason") are all it has');
      expect(r.stderr).to.contain('kubectl delete virtualservice reviews -n default');
      expect(fake.log.slice(log)).to.deep.equal([]);
    });

    it('per-user canary: the match route goes before the catch-all', async () => {
      const fake = shop();
      await run(fake, ['switch', 'reviews', 'v2']);
      const r = await run(fake, ['match-header', 'reviews', 'end-user=jason', '--subset', 'v3']);
      expect(r.stdout).to.equal('virtualservice.networking.istio.io/reviews matched\n' +
        '  http[0] gray-v3-end-user-jason (end-user = jason): v3=100%\n  http[1] default (*): v2=100%\n');
      const c = await run(fake, ['match-cookie', 'reviews', 'canary=true', '--subset', 'v2']);
      expect(c.stdout).to.contain('http[1] gray-v2-cookie-canary-true (cookie ~ ^(.*;\\s*)?canary=true(\\s*;.*)?$): v2=100%');
    });

    it('refuses a regex Envoy would reject, and conflicting flags', async () => {
      const fake = shop();
      const r = await run(fake, ['match-header', 'reviews', 'end-user=(?<=a)b', '--regex', '--subset', 'v3']);
      expect(r.code).to.equal(3);
      expect(r.stderr).to.contain('GRAY105 regex-invalid: VirtualService default/reviews spec.http[0].match[0].headers.end-user.regex: "(?<=a)b" is not valid RE2');
      const both = await run(fake, ['match-header', 'reviews', 'a=b', '--regex', '--prefix', '--subset', 'v3']);
      expect(both.code).to.equal(2);
      expect(both.stderr).to.contain('Arguments prefix and regex are mutually exclusive');
      expect((await run(fake, ['match-header', 'reviews', 'novalue', '--subset', 'v3'])).stderr).to.contain('"novalue": expected NAME=VALUE');
    });

    it('mirror with a percentage, then off', async () => {
      const fake = shop();
      expect((await run(fake, ['mirror', 'reviews', 'v2', '--percent', '12.5'])).stdout)
        .to.equal('virtualservice.networking.istio.io/reviews mirrored\n  http[0] default (*): v1=100% mirror v2 12.5%\n');
      expect((await run(fake, ['mirror', 'reviews', '--off'])).stdout)
        .to.equal('virtualservice.networking.istio.io/reviews unmirrored\n  http[0] default (*): v1=100%\n');
      expect((await run(fake, ['mirror', 'reviews'])).stderr).to.contain('name the SUBSET to mirror to, or pass --off');
      expect((await run(fake, ['mirror', 'reviews', 'v2', '--percent', '120'])).stderr).to.contain('--percent "120": must be a number between 0 and 100');
    });
  });

  describe('history and undo', () => {
    it('lists changes and undoes the last one', async () => {
      const fake = shop();
      await run(fake, ['set-weight', 'reviews', 'v2=10']);
      await run(fake, ['switch', 'reviews', 'v2']);
      expect((await run(fake, ['history', 'reviews'])).stdout).to.equal(
        'REVISION   TIME                       CHANGE\n' +
        '1          2026-11-23T10:00:00.000Z   set-weight v2=10\n' +
        '2          2026-11-23T10:00:00.000Z   switch v2\n');
      const u = await run(fake, ['undo', 'reviews']);
      expect(u.stdout).to.equal('virtualservice.networking.istio.io/reviews restored\n  http[0] default (*): v1=90% v2=10%\n');
      const u1 = await run(fake, ['undo', 'reviews', '--to-revision', '1']);
      expect(u1.stdout).to.equal('virtualservice.networking.istio.io/reviews restored\n  http[0] default (*): v1=100%\n');
      expect((await run(fake, ['undo', 'reviews', '--to-revision', '42'])).stderr).to.contain('has no revision 42 (kept: 1, 2, 3, 4)');
    });
  });

  describe('status', () => {
    it('shows routes, weights as bars, mirror, pods per subset and the 503 risk', async () => {
      const fake = shop();
      await run(fake, ['set-weight', 'reviews', 'v2=10']);
      await run(fake, ['match-header', 'reviews', 'end-user=jason', '--subset', 'v3']);
      await run(fake, ['mirror', 'reviews', 'v2', '--percent', '50']);
      const r = await run(fake, ['status', 'reviews']);
      expect(r.code).to.equal(3); // v3 takes jason's requests but has no ready pod: degraded
      expect(r.stdout).to.equal([
        'VirtualService default/reviews   hosts: reviews   via: mesh',
        '',
        'ROUTE                    MATCH              DESTINATION   WEIGHT',
        'gray-v3-end-user-jason   end-user = jason   v3            100%     ████████████████████  ! 503 risk',
        'default                  * (catch-all)      v1            90%      ██████████████████░░',
        '                                            v2            10%      ██░░░░░░░░░░░░░░░░░░',
        '                                            mirror → v2   50%      (copies, answers discarded)',
        '',
        'SUBSET   LABELS       PODS   READY',
        'v1       version=v1   1      1/1     serving',
        'v2       version=v2   1      1/1     serving',
        'v3       version=v3   1      0/1     routed but no ready pod: 503 no healthy upstream',
        '',
        'set-weight/switch/mirror/rollback edit: http[1]; left alone: http[0] (owned)',
        '',
      ].join('\n'));
    });

    it('exits 0 when every routed subset has a ready pod', async () => {
      const fake = shop();
      await run(fake, ['set-weight', 'reviews', 'v2=10']);
      const r = await run(fake, ['status', 'reviews']);
      expect([r.code, r.stderr]).to.deep.equal([0, '']);
    });

    it('exits 3 when a route points at an undefined subset; -o json gives the view model', async () => {
      const fake = shop();
      fake.vs('reviews').spec.http![0]!.route![0]!.destination.subset = 'v9';
      const r = await run(fake, ['status', 'reviews', '-o', 'json']);
      expect(r.code).to.equal(3);
      const model = JSON.parse(r.stdout);
      expect(model.subsets.find((s: { subset: string }) => s.subset === 'v9')).to.include({ defined: false, risk: true });
      expect(model.findings[0].code).to.equal('GRAY104');
    });

    it('lists every VirtualService with -A, and names bad formats', async () => {
      const fake = shop();
      const r = await run(fake, ['status', '-A']);
      expect(r.stdout).to.contain('VirtualService default/reviews');
      expect(r.stdout).to.contain('VirtualService default/ratings');
      expect((await run(fake, ['status', '-o', 'xml'])).stderr).to.contain('allowed formats are: wide,json,yaml');
    });
  });

  describe('errors at the edge', () => {
    it('says where it looked when there is no kubeconfig, exit 1', async () => {
      const r = await run(undefined, ['status']);
      expect(r).to.deep.equal({ code: 1, stdout: '', stderr: 'error: no kubeconfig found (looked at /home/test/.kube/config); pass --kubeconfig or set KUBECONFIG\n' });
    });
    it('unknown commands and flags are usage errors', async () => {
      const r = await run(shop(), ['set-wieght', 'reviews']);
      expect(r.code).to.equal(2);
      expect(r.stderr).to.contain("See 'kubectl gray -h' for help and examples.");
      expect((await run(shop(), ['status', '--bogus'])).stderr).to.contain('Unknown argument: bogus');
    });
    it('every command takes the global --no-color (not read as --color=false, a flag no command has)', async () => {
      const fake = shop();
      expect(await run(fake, ['status', 'reviews', '--no-color'])).to.deep.equal(await run(fake, ['status', 'reviews']));
      const set = await run(fake, ['--no-color', 'set-weight', 'reviews', 'v2=10', '--dry-run=client']);
      expect([set.code, set.stderr]).to.deep.equal([0, '']);
    });
    it('no VirtualService for the host: exit 2 naming the namespace and --vs', async () => {
      const r = await run(shop(), ['set-weight', 'nothere', 'v2=1']);
      expect(r.code).to.equal(2);
      expect(r.stderr).to.contain('no VirtualService routes to nothere (nothere.default.svc.cluster.local): none lists it in hosts or sends an HTTP route to it; check the name and -n/--namespace, or name one with --vs NAME');
    });
    it('--help prints examples and exits 0', async () => {
      const r = await run(undefined, ['set-weight', '--help']);
      expect(r.code).to.equal(0);
      expect(r.stdout).to.contain('kubectl gray set-weight reviews v2=10');
      expect(r.stdout).to.contain('--dry-run');
    });
  });

  describe('analyze', () => {
    it('runs the same rules over files, exit 3 on errors', async () => {
      const files = {
        'bad.yaml': 'apiVersion: networking.istio.io/v1alpha3\nkind: VirtualService\nmetadata: {name: reviews}\nspec:\n  hosts: [reviews]\n  http:\n  - route:\n    - {destination: {host: reviews, subset: v1}, weight: 80}\n    - {destination: {host: reviews, subset: v2}, weight: 10}\n---\napiVersion: networking.istio.io/v1beta1\nkind: DestinationRule\nmetadata: {name: reviews}\nspec: {host: reviews, subsets: [{name: v1}]}\n',
      };
      const r = await run(undefined, ['analyze', 'bad.yaml'], files);
      expect(r.code).to.equal(3);
      expect(r.stdout.trim().split('\n').map((l) => l.split(' ').slice(1, 3).join(' '))).to.deep.equal(['error GRAY101', 'error GRAY104', 'errors, 0']);
      const ok = await run(undefined, ['analyze', 'good.yaml'], { 'good.yaml': 'apiVersion: networking.istio.io/v1\nkind: DestinationRule\nmetadata: {name: r}\nspec: {host: r, subsets: [{name: v1}]}\n' });
      expect(ok).to.deep.equal({ code: 0, stdout: 'No problems found in 1 Istio object from 1 file.\n', stderr: '' });
      const missing = await run(undefined, ['analyze', 'missing.yaml']);
      expect([missing.code, missing.stdout.split('\n')[0]]).to.deep.equal([2, 'missing.yaml:1:1: could not be read: no such file']);
      // With the cluster's policy it judges as the webhook would: a forbidden namespace, a relaxed rule.
      const policy = 'forbiddenNamespaces: [payments]\nrules: {weight-total: warn}\n';
      const judged = await run(undefined, ['analyze', 'bad.yaml', '-n', 'payments', '--policy', 'policy.yaml'], { ...files, 'policy.yaml': policy });
      expect(judged.stdout.trim().split('\n').map((l) => l.split(' ').slice(1, 3).join(' '))).to.deep.equal(
        ['error GRAY201', 'warning GRAY101', 'error GRAY104', 'error GRAY201', 'errors, 1']);
      // Policy objects judge the same way: every one counts, the strictest setting winning (audit lets GRAY101 pass).
      const objects = 'kind: ClusterGrayPolicy\nmetadata: {name: a}\nspec: {forbiddenNamespaces: [payments], rules: {weight-total: audit}}\n---\nkind: GrayPolicy\nmetadata: {name: b, namespace: payments}\nspec: {rules: {weight-total: warn}}\n';
      const byObjects = await run(undefined, ['analyze', 'bad.yaml', '-n', 'payments', '--policy', 'objects.yaml'], { ...files, 'objects.yaml': objects });
      expect(byObjects.stdout.replaceAll(' (ClusterGrayPolicy a)', '')).to.equal(judged.stdout);
      const badPolicy = await run(undefined, ['analyze', 'bad.yaml', '--policy', 'p.yaml'], { ...files, 'p.yaml': 'rulez: {}\n' });
      expect(badPolicy.code).to.equal(2);
      expect(badPolicy.stderr).to.contain('--policy p.yaml: policy has 1 problem(s):\n  [rulez] unknown key');
    });
  });
});
