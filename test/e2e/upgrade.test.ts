// Upgrading the guardrails from the previous release's chart to this one, both from the registry, while
// admissions stream through the API server: none fails, a known-bad object is refused throughout, and the
// fail-closed state the webhook had reached is the state after the upgrade (never Ignore in between).
import { expect } from 'chai';
import { BOOKINFO_ROUTING, GATEWAY, MAIN, POLICY, SELF_CHECK, failurePolicies, upgradeUnderAdmissions } from '../support/admissions.js';
import { chartWebhookAlone, helm, registry, releasedChart } from '../support/helm.js';
import { VERSION } from '../support/krew.js';
import { apply, eventually, freshNamespace, getJson, k, waitForPods } from '../support/kubectl.js';

const NS = 'kubectl-gray-upgrade';
const PREVIOUS = '0.1.0';
const SELECTOR = 'app.kubernetes.io/component=webhook';

describe('e2e: helm upgrade from the previous release', function () {
  this.timeout(120_000);

  chartWebhookAlone(NS);

  it(`${PREVIOUS} -> this release under a stream of admissions: none lost, fail-closed before, during and after`, async function () {
    this.timeout(600_000); // two installs' rollouts of two pods each on a busy node, and the self-check
    // The previous chart knew no digest: it runs the image of its appVersion's tag, here this release's image.
    const installed = await helm('install', 'kubectl-gray', `oci://${registry()}/charts/kubectl-gray`, '--version', PREVIOUS, '--plain-http',
      '-n', NS, '--create-namespace', '--set', `image.tag=${VERSION}`, '--wait', '--timeout', '4m');
    expect(installed.code, installed.stderr).to.equal(0);
    await eventually(async () => expect(await failurePolicies()).to.deep.equal([`${MAIN}:Fail`, `${SELF_CHECK}:Ignore`]), 90_000, 500);
    const before = (await waitForPods(NS, SELECTOR, 2)).map((p) => p.metadata.name);

    const shop = await freshNamespace('upgrade-shop');
    await apply(shop, BOOKINFO_ROUTING);
    const { helm: r, sent, failures, policies: seen } = await upgradeUnderAdmissions(shop, 'kubectl-gray', ...releasedChart(), '-n', NS, '--wait', '--timeout', '5m');
    expect(r.code, r.stderr).to.equal(0);
    expect(failures, `${failures.length} of ${sent} admissions failed`).to.deep.equal([]);
    expect(sent).to.be.greaterThan(10);
    // The Gateway API's entry arrives with the upgrade, already closed (the chart renders what the live main entry says).
    expect(seen, 'the failurePolicies read during the upgrade').to.deep.equal([`${MAIN}:Fail ${SELF_CHECK}:Ignore`, `${MAIN}:Fail ${GATEWAY}:Fail ${POLICY}:Fail ${SELF_CHECK}:Ignore`]);

    // This release's chart, its pods on the image it pins, all replaced.
    const deployment = await getJson<any>(NS, 'deployment', 'kubectl-gray-webhook');
    expect(deployment.metadata.labels['helm.sh/chart']).to.equal(`kubectl-gray-${VERSION}`);
    expect(deployment.spec.template.spec.containers[0].image).to.match(/^ghcr\.io\/kubectl-gray\/webhook@sha256:[a-f0-9]{64}$/);
    const after = (await waitForPods(NS, SELECTOR, 2)).map((p) => p.metadata.name);
    expect(after.filter((n) => before.includes(n))).to.deep.equal([]);
    expect(await failurePolicies()).to.deep.equal([`${MAIN}:Fail`, `${GATEWAY}:Fail`, `${POLICY}:Fail`, `${SELF_CHECK}:Ignore`]);
    // The policy values the release had become the default ClusterGrayPolicy: the same rules as before the upgrade.
    const policy = await eventually(async () => JSON.parse(await k('get', 'clustergraypolicy', 'kubectl-gray-default', '-o', 'json')), 60_000, 500);
    expect(policy.spec).to.deep.equal({ rules: {}, forbiddenNamespaces: [], freezeWindows: [] });
  });
});
