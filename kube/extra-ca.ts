// TLS trust without its start-up cost. bin/kubectl-gray's fast path hands two things over:
//  - NODE_EXTRA_CA_CERTS: Node 20 parses that file when it starts, for every process, yet a connection with an
//    explicit CA (what a kubeconfig almost always has) uses neither Node's roots nor those extra certificates.
//    The launcher moves the variable to KUBECTL_GRAY_EXTRA_CA_CERTS; main.ts puts it back for child processes
//    (exec credential plugins).
//  - Node's bundled root store: the first TLS context of a process parses all of Node's ~140 root
//    certificates (about 25 ms), even one that is given its own CA and never consults them. Started with
//    --use-openssl-ca instead, Node builds that store from OpenSSL's default paths, which cost nothing when
//    SSL_CERT_FILE names an empty file for that moment (see primeRootStore); KUBECTL_GRAY_BUNDLED_ROOTS says so.
// Either way the REST client gives a connection without a CA what Node would have trusted: its bundled roots,
// plus the extra file. No TLS import here: --help must not load it.

export const HANDED_OVER = 'KUBECTL_GRAY_EXTRA_CA_CERTS';
export const ROOTS_HANDED_OVER = 'KUBECTL_GRAY_BUNDLED_ROOTS';

let handedOver: string | undefined;
let rootsHandedOver = false;

/** Restores NODE_EXTRA_CA_CERTS from what the launcher handed over, and remembers what Node did not load. */
export function takeBackExtraCaCerts(env: NodeJS.ProcessEnv): void {
  if (env[ROOTS_HANDED_OVER] !== undefined) {
    delete env[ROOTS_HANDED_OVER];
    rootsHandedOver = true;
  }
  const file = env[HANDED_OVER];
  if (file === undefined) return;
  delete env[HANDED_OVER];
  if (env['NODE_EXTRA_CA_CERTS'] === undefined) {
    env['NODE_EXTRA_CA_CERTS'] = file;
    handedOver = file;
  }
}

/** The extra CA file Node was not given at start-up (undefined: Node loaded it itself, or there is none). */
export function extraCaFileNotLoaded(): string | undefined {
  return handedOver;
}

/** Whether Node's default root store is not its bundled roots (the launcher started it with --use-openssl-ca). */
export function bundledRootsNotLoaded(): boolean {
  return rootsHandedOver;
}
