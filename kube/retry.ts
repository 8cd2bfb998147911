// Optimistic concurrency: every write carries the resourceVersion it read; a Conflict means someone
// wrote in between, so the whole read-edit-write runs again on what is there now.
import { ApiError } from './errors.js';

export const MAX_ATTEMPTS = 40;

/** Conflict always; AlreadyExists too where two writers may race to create the same object. */
export function isRace(err: unknown, alsoAlreadyExists = false): boolean {
  return err instanceof ApiError && (err.isConflict || (alsoAlreadyExists && err.status === 409 && err.reason === 'AlreadyExists'));
}

export async function retryOnConflict<T>(attempt: () => Promise<T>, max = MAX_ATTEMPTS, retryable: (err: unknown) => boolean = isRace): Promise<T> {
  for (let n = 1; ; n++) {
    try {
      return await attempt();
    } catch (err) {
      if (!retryable(err) || n >= max) throw err;
      // Back off a little, with jitter so that racing writers spread out.
      await new Promise((r) => setTimeout(r, Math.min(500, 10 * n) * (0.5 + Math.random())));
    }
  }
}
