// NODE_EXTRA_CA_CERTS without its start-up cost. Node 20 parses that file when it starts, for every process,
// yet a connection with an explicit CA (what a kubeconfig almost always has) uses neither Node's roots nor
// those extra certificates. bin/kubectl-gray's fast path therefore moves the variable to
// KUBECTL_GRAY_EXTRA_CA_CERTS; main.ts puts it back for child processes (exec credential plugins), and the
// REST client gives a connection without a CA what Node would have trusted: its roots plus that file.
// No TLS import here: --help must not load it.

export const HANDED_OVER = 'KUBECTL_GRAY_EXTRA_CA_CERTS';

let handedOver: string | undefined;

/** Restores NODE_EXTRA_CA_CERTS from what the launcher handed over, and remembers the file. */
export function takeBackExtraCaCerts(env: NodeJS.ProcessEnv): void {
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
