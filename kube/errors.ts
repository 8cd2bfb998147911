// Failures at the cluster edge, kept free of client-node so the CLI can classify them without loading it.

/** An error answered by the API server, phrased as kubectl phrases it. */
export class ApiError extends Error {
  override name = 'ApiError';
  constructor(readonly status: number, readonly reason: string, readonly serverMessage: string,
    /** The Status' details: on a 404, present when an object is missing, absent when the path is not served at all. */
    readonly details?: { name?: string; kind?: string; group?: string }) {
    super(`Error from server (${reason}): ${serverMessage}`);
  }
  get isConflict(): boolean { return this.status === 409 && this.reason === 'Conflict'; }
  get isNotFound(): boolean { return this.status === 404; }
  /** A refusal by an admission webhook (ours or another). */
  get isAdmissionDenial(): boolean { return /admission webhook .* denied the request/.test(this.serverMessage); }
}

/** The server could not be reached at all. */
export class ConnectionError extends Error {
  override name = 'ConnectionError';
}

/** No usable kubeconfig, or a flag that names something it does not have. */
export class ConfigError extends Error {
  override name = 'ConfigError';
}
