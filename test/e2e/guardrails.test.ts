// Issue 14 on the local cluster's node: guardrails that never become the outage. The chart registers the
// validating webhook fail-open; an image that cannot start leaves edits working and says so; a healthy
// install switches itself to fail-closed within seconds, once a self-check through the API server is
// refused by its own pods. Two replicas, one certificate owner (a Lease): a forced CA rotation and the loss
// of the leader's pod are taken without a restart and without a failed admission.
import { expect } from 'chai';
import { X509Certificate } from 'node:crypto';
import { connect } from 'node:tls';
import { BOOKINFO_ROUTING, GATEWAY, MAIN, POLICY, SELF_CHECK, admissionsDuring, badWeights, failurePolicies, upgradeUnderAdmissions } from '../support/admissions.js';
import { apply, eventually, freshNamespace, getJson, k, kubectl, pods, waitForPods } from '../support/kubectl.js';
import { chartWebhookAlone, helm, releasedChart } from '../support/helm.js';

const NS = 'kubectl-gray-guard';
const SELECTOR = 'app.kubernetes.io/component=webhook';


const podMetrics = (pod: string) => k('get', '--raw', `/api/v1/namespaces/${NS}/pods/https:${pod}:8443/proxy/metrics`);
/** The cache's synced/objects/digest series, which replicas holding the same objects share (counters differ). */
const cacheSeries = (text: string) => text.split('\n').filter((l) => /^kubectl_gray_cache_(synced|objects|digest)\{/.test(l)).sort().join('\n');

/** The certificate a pod serves, read by connecting to it (its Secret can say otherwise while it has not taken it up). */
function servedCertificate(ip: string): Promise<X509Certificate> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: ip, port: 8443, rejectUnauthorized: false, servername: 'kubectl-gray-webhook' }, () => {
      const raw = socket.getPeerCertificate().raw;
      socket.end();
      resolve(new X509Certificate(raw));
    });
    socket.on('error', reject);
  });
}

describe('e2e: guardrails that never become the outage', function () {
  this.timeout(120_000);

  chartWebhookAlone(NS);

  describe('an image that cannot start', () => {
    after(async function () {
      this.timeout(180_000);
      await helm('uninstall', 'kubectl-gray', '-n', NS, '--wait');
      await eventually(async () => expect((await kubectl(['get', 'validatingwebhookconfiguration', 'kubectl-gray'])).code).to.not.equal(0), 120_000, 1_000);
    });

    it('helm install leaves VirtualService/DestinationRule edits working, and the notes and the configuration say it is fail-open', async function () {
      this.timeout(240_000); // the pods are created and fail to start on a busy node; nothing here waits on them being ready
      const r = await helm('install', 'kubectl-gray', ...releasedChart(), '-n', NS, '--create-namespace', '--set', 'image.digest=', '--set', 'image.tag=does-not-exist', '--set', 'image.pullPolicy=Never');
      expect(r.code, r.stderr).to.equal(0);
      expect(r.stdout).to.contain('registered fail-open');
      expect(r.stdout).to.contain("jsonpath='{.webhooks[0].failurePolicy}");
      // The kubelet says why the pods never start: the image is not on the node and may not be pulled.
      await eventually(async () => {
        const waiting = (await pods(NS, SELECTOR) as any[]).map((p) => p.status.containerStatuses?.[0]?.state?.waiting?.reason);
        expect(waiting).to.have.length(2);
        expect(waiting.every((w) => w === 'ErrImageNeverPull')).to.equal(true);
      }, 120_000, 1_000);
      expect(await failurePolicies()).to.deep.equal([`${MAIN}:Ignore`, `${GATEWAY}:Ignore`, `${POLICY}:Ignore`, `${SELF_CHECK}:Ignore`]);

      const shop = await freshNamespace('guard-broken');
      await apply(shop, BOOKINFO_ROUTING);
      const edit = await kubectl(['apply', '-n', shop, '-f', '-'], { input: badWeights('reviews') });
      expect(edit.code, `an unguarded edit must go through, not fail on the dead webhook: ${edit.stderr}`).to.equal(0);
      const removal = await kubectl(['delete', 'dr', 'reviews', '-n', shop]);
      expect(removal.code, removal.stderr).to.equal(0);
      // Nobody switches it: still open.
      expect(await failurePolicies()).to.deep.equal([`${MAIN}:Ignore`, `${GATEWAY}:Ignore`, `${POLICY}:Ignore`, `${SELF_CHECK}:Ignore`]);
    });
  });

  describe('a healthy install', () => {
    const podNames = async () => (await waitForPods(NS, SELECTOR, 2)).map((p) => p.metadata.name).sort();

    it('helm install --wait: fail-closed within 30 s, with an Event and the metric on both pods', async function () {
      this.timeout(300_000); // two pods of a 100 MiB image on a busy node, then the certificate handshake
      const r = await helm('install', 'kubectl-gray', ...releasedChart(), '-n', NS, '--create-namespace', '--wait', '--timeout', '4m');
      expect(r.code, r.stderr).to.equal(0);
      const ready = Date.now();
      // The pods were Ready when helm returned; the switch follows the first self-check they answer.
      await eventually(async () => expect(await failurePolicies()).to.deep.equal([`${MAIN}:Fail`, `${GATEWAY}:Fail`, `${POLICY}:Fail`, `${SELF_CHECK}:Ignore`]), 30_000, 250);
      console.log(`      fail-closed ${((Date.now() - ready) / 1000).toFixed(1)} s after helm install --wait returned`);
      const events = JSON.parse(await k('get', 'events', '-n', NS, '--field-selector', 'reason=WebhookFailClosed', '-o', 'json')).items;
      // One replica switched it (the other, if it looked later, found it switched).
      expect(events.some((e: any) => e.message.includes('switched to failurePolicy Fail') && e.involvedObject.kind === 'Pod')).to.equal(true);
      for (const pod of await podNames()) {
        await eventually(async () => expect(await podMetrics(pod)).to.match(/^kubectl_gray_webhook_fail_closed 1$/m), 60_000, 1_000);
      }
      // The self-check was a dry run: nothing stored in the release namespace.
      expect((await k('get', 'virtualservices', '-n', NS, '-o', 'name')).trim()).to.equal('');
      // And it is guarded now.
      const shop = await freshNamespace('guard-shop');
      await apply(shop, BOOKINFO_ROUTING);
      const refused = await kubectl(['apply', '-n', shop, '-f', '-'], { input: badWeights('reviews') });
      expect(refused.code).to.not.equal(0);
      expect(refused.stderr).to.contain(`admission webhook "${MAIN}" denied the request`);
    });

    it('one certificate owner: one pod holds the Lease and says so in its metrics', async function () {
      this.timeout(120_000);
      const names = await podNames();
      const lease = await getJson<any>(NS, 'lease', 'kubectl-gray-webhook-leader');
      expect(names).to.include(lease.spec.holderIdentity);
      await eventually(async () => {
        const leaders = await Promise.all(names.map(async (p) => (await podMetrics(p)).match(/^kubectl_gray_webhook_leader (\d)$/m)?.[1]));
        expect(leaders.sort()).to.deep.equal(['0', '1']);
      }, 30_000, 1_000);
      // RBAC: its own Lease, nothing else of the kind.
      const as = ['--as', `system:serviceaccount:${NS}:kubectl-gray-webhook`];
      expect((await kubectl(['auth', 'can-i', 'update', 'lease/kubectl-gray-webhook-leader', '-n', NS, ...as])).stdout.trim()).to.equal('yes');
      expect((await kubectl(['auth', 'can-i', 'update', 'lease/other', '-n', NS, ...as])).stdout.trim()).to.equal('no');
      expect((await kubectl(['auth', 'can-i', 'create', 'virtualservices', '-n', NS, ...as])).stdout.trim()).to.equal('yes');
      expect((await kubectl(['auth', 'can-i', 'create', 'virtualservices', '-n', 'default', ...as])).stdout.trim()).to.equal('no');
    });

    it('a forced CA rotation reaches both replicas without a restart and without a failed admission', async function () {
      this.timeout(240_000); // two leader passes (5 s apart), the replicas' Secret polls and file reloads, on a busy machine
      const shop = await freshNamespace('guard-rotate');
      await apply(shop, BOOKINFO_ROUTING);
      const before = (await waitForPods(NS, SELECTOR, 2) as any[]).map((p) => `${p.metadata.uid}:${p.status.containerStatuses[0].restartCount}`).sort();
      const oldCa = (await getJson<any>(NS, 'secret', 'kubectl-gray-webhook-certs')).data['ca.crt'];
      await k('annotate', 'secret', 'kubectl-gray-webhook-certs', '-n', NS, 'kubectl-gray.io/rotate-ca=now');
      const rotated = eventually(async () => {
        const secret = await getJson<any>(NS, 'secret', 'kubectl-gray-webhook-certs');
        expect(secret.data['ca.crt']).to.not.equal(oldCa);
        expect(secret.metadata.annotations?.['kubectl-gray.io/rotate-ca']).to.equal(undefined);
        const ca = new X509Certificate(Buffer.from(secret.data['ca.crt'], 'base64'));
        // Both CAs trusted by the API server while the old one is valid.
        const bundle = JSON.parse(await k('get', 'validatingwebhookconfiguration', 'kubectl-gray', '-o', 'json')).webhooks[0].clientConfig.caBundle;
        expect(Buffer.from(bundle, 'base64').toString().match(/BEGIN CERTIFICATE/g)).to.have.length(2);
        for (const p of await pods(NS, SELECTOR)) {
          expect((await servedCertificate(p.status.podIP!)).verify(ca.publicKey), `${p.metadata.name} serves the new CA's certificate`).to.equal(true);
        }
      }, 180_000, 1_000);
      const { sent, failures } = await admissionsDuring(shop, rotated);
      expect(failures, `${failures.length} of ${sent} admissions failed`).to.deep.equal([]);
      expect(sent).to.be.greaterThan(10);
      const after = (await waitForPods(NS, SELECTOR, 2) as any[]).map((p) => `${p.metadata.uid}:${p.status.containerStatuses[0].restartCount}`).sort();
      expect(after).to.deep.equal(before);
    });

    it('deleting the Lease holder: the other replica takes over, no admission fails, the caches agree afterwards', async function () {
      this.timeout(300_000); // a graceful stop (drain), a new pod on a busy node, its cache sync
      const shop = await freshNamespace('guard-delete');
      await apply(shop, BOOKINFO_ROUTING);
      const holder = (await getJson<any>(NS, 'lease', 'kubectl-gray-webhook-leader')).spec.holderIdentity as string;
      const replaced = (async () => {
        await k('delete', 'pod', holder, '-n', NS, '--wait=false');
        await eventually(async () => {
          const now = (await getJson<any>(NS, 'lease', 'kubectl-gray-webhook-leader')).spec.holderIdentity;
          expect(now).to.not.equal(holder);
          expect(now).to.not.equal('');
        }, 60_000, 500);
        const names = (await waitForPods(NS, SELECTOR, 2, true, 180_000)).map((p) => p.metadata.name);
        expect(names).to.not.include(holder);
      })();
      const { sent, failures } = await admissionsDuring(shop, replaced);
      expect(failures, `${failures.length} of ${sent} admissions failed`).to.deep.equal([]);
      // Both replicas hold the same objects (counts and digests of namespace/name@resourceVersion).
      await eventually(async () => {
        const [a, b] = await Promise.all((await waitForPods(NS, SELECTOR, 2)).map(async (p) => cacheSeries(await podMetrics(p.metadata.name))));
        expect(a).to.contain('kubectl_gray_cache_synced{kind="VirtualService"} 1');
        expect(b).to.equal(a);
      }, 60_000, 1_000);
    });

    it('a helm upgrade keeps it fail-closed: the chart renders what the webhook set, and no admission fails', async function () {
      this.timeout(300_000); // a rolling update of two pods on a busy node
      const shop = await freshNamespace('guard-upgrade');
      await apply(shop, BOOKINFO_ROUTING);
      const { helm: r, sent, failures, policies: seen } = await upgradeUnderAdmissions(shop,
        'kubectl-gray', ...releasedChart(), '-n', NS, '--reuse-values', '--set', 'logLevel=debug', '--wait', '--timeout', '4m');
      expect(r.code, r.stderr).to.equal(0);
      expect(failures, `${failures.length} of ${sent} admissions failed`).to.deep.equal([]);
      expect(seen).to.deep.equal([`${MAIN}:Fail ${GATEWAY}:Fail ${POLICY}:Fail ${SELF_CHECK}:Ignore`]);
      expect(await failurePolicies()).to.deep.equal([`${MAIN}:Fail`, `${GATEWAY}:Fail`, `${POLICY}:Fail`, `${SELF_CHECK}:Ignore`]);
    });
  });
});
