// The startup-snapshot entry: `node --snapshot-blob F --build-snapshot` evaluates the whole plugin,
// client library included, once at build time; each run deserialises that heap and calls main.
import { startupSnapshot } from 'node:v8';
import { runCli } from './cli.js';
import type { CommandContext } from './context.js';
import { main } from './main.js';
import './kube/connect.js'; // evaluated now, so that connecting costs no module evaluation at run time

const WARM_UP_FILE = `apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: reviews, namespace: shop}
spec:
  hosts: [reviews]
  http:
  - match: [{headers: {end-user: {exact: jason}}}]
    route: [{destination: {host: reviews, subset: v2}}]
  - route: [{destination: {host: reviews, subset: v1}, weight: 90}, {destination: {host: reviews, subset: v2}, weight: 10}]
---
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: reviews, namespace: shop}
spec: {host: reviews, subsets: [{name: v1, labels: {version: v1}}, {name: v2, labels: {version: v2}}]}
`;

/** Runs a few commands offline, output discarded, so the snapshot holds their functions already compiled. */
async function warmUp(): Promise<void> {
  const ctx: CommandContext = {
    io: { out: () => undefined, err: () => undefined, color: false },
    connect: () => Promise.reject(new Error('no cluster while building the snapshot')),
    now: () => new Date(0),
    readFile: async () => WARM_UP_FILE,
  };
  for (const args of [['--help'], ['version'], ['set-weight', '-h'], ['status', '-h'], ['analyze', 'warm-up.yaml'], ['nosuch']]) {
    await runCli(args, ctx);
  }
}

// The builder runs the event loop dry before it serialises the heap; make sure the warm-up got that far.
let warm = false;
void warmUp().then(() => { warm = true; });
startupSnapshot.addSerializeCallback(() => {
  if (!warm) throw new Error('the warm-up did not finish before the snapshot was taken');
});

startupSnapshot.setDeserializeMainFunction(() => {
  // Node 20 puts the first user argument at argv[1]; newer versions repeat argv[0] there.
  const argv = process.argv;
  void main(argv[1] === argv[0] ? argv.slice(2) : argv.slice(1));
});
