// How objects fit together, on the real cluster: a second mesh VirtualService for a host is admitted with the
// webhook's warning, status marks it, an edit of it alone is refused unless --force, and analyze --cluster finds
// what the live objects with files on top get wrong.
import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { vsYaml } from '../support/admissions.js';
import { fixturePath } from '../support/fixtures.js';
import { apply, eventually, freshNamespace, kubectl } from '../support/kubectl.js';

const BOOKINFO = readFileSync(fixturePath('bookinfo.yaml'), 'utf8');
const SECOND = `apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: reviews-canary}
spec:
  hosts: [reviews]
  http:
  - route: [{destination: {host: reviews, subset: v2}}]
`;
const gray = (...args: string[]) => kubectl(['gray', ...args]);

describe('e2e: how objects fit together', function () {
  this.timeout(120_000);
  let ns: string;

  before(async () => {
    ns = await freshNamespace('fit');
    await apply(ns, BOOKINFO);
    // The webhook's registration reaches the API server's admission chain a moment after install.
    await eventually(async () => {
      const r = await kubectl(['apply', '-n', ns, '--dry-run=server', '-f', '-'], { input: vsYaml([['v1', 80], ['v2', 10]]) });
      if (r.code === 0) throw new Error('webhook not called yet');
    });
  });

  it('a second mesh VirtualService for a host is admitted with the webhook\'s warning; status marks it; an edit of it alone is refused', async () => {
    const applied = await kubectl(['apply', '-n', ns, '-f', '-'], { input: SECOND });
    expect(applied.code).to.equal(0);
    expect(applied.stderr).to.contain(`Warning: GRAY501 virtualservice-shadowed (IST0109): spec.hosts[0]: the mesh VirtualServices ${ns}/reviews, ${ns}/reviews-canary all define host reviews.${ns}.svc.cluster.local; Istio uses one (${ns}/reviews, the oldest)`);

    const status = await gray('status', 'reviews', '-n', ns, '--vs', 'reviews-canary');
    expect(status.code).to.equal(3);
    expect(status.stdout).to.contain(`SHADOWED: Istio uses ${ns}/reviews for the same host and ignores this VirtualService there`);

    const refused = await gray('set-weight', 'reviews', 'v1=10', '-n', ns, '--vs', 'reviews-canary');
    expect(refused.code).to.equal(3);
    expect(refused.stderr).to.contain('GRAY501 virtualservice-shadowed (IST0109)').and.contain('so this change would move no traffic');
    const before = await kubectl(['get', 'vs', 'reviews-canary', '-n', ns, '-o', 'jsonpath={.metadata.resourceVersion}']);
    const forced = await gray('set-weight', 'reviews', 'v1=10', '-n', ns, '--vs', 'reviews-canary', '--force');
    expect(forced.code, forced.stderr).to.equal(0);
    const after = await kubectl(['get', 'vs', 'reviews-canary', '-n', ns, '-o', 'jsonpath={.metadata.resourceVersion}']);
    expect(after.stdout).to.not.equal(before.stdout);
  });

  it('analyze --cluster judges the live objects with everything they reach, and a change on top before it is applied', async () => {
    const live = await gray('analyze', '--cluster', '-n', ns, '-o', 'json');
    const codes = (r: { stdout: string }) => (JSON.parse(r.stdout) as { findings: Array<{ code: string; object: string }> }).findings.map((f) => `${f.code} ${f.object}`);
    expect(live.code, live.stderr).to.equal(3);
    expect(codes(live)).to.include.members([`GRAY501 VirtualService ${ns}/reviews`, `GRAY501 VirtualService ${ns}/reviews-canary`]);
    // A change that routes to a host nothing defines is caught before it is applied; the live objects are untouched.
    const change = vsYaml([['v1', 100]]).replace('host: reviews', 'host: reviewz');
    const r = await kubectl(['gray', 'analyze', '--cluster', '-n', ns, '-', '-o', 'json'], { input: change });
    expect(codes(r)).to.include(`GRAY502 VirtualService ${ns}/reviews`);
    expect(JSON.parse(r.stdout).summary.scope).to.equal(`live cluster, namespace ${ns}, files on top`);
  });
});
