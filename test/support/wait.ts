// Waiting on a condition, never on the clock: poll until `check` stops throwing or the deadline passes.
// Deadlines are sized for a 2-core machine whose cores are busy with other work.

/** Polls until `check` stops throwing (registrations, caches, reloads take a moment); never a bare sleep. */
export async function eventually<T>(check: () => Promise<T>, timeoutMs = 20_000, everyMs = 200): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await check();
    } catch (err) {
      if (Date.now() > deadline) throw err;
      await new Promise((r) => setTimeout(r, everyMs));
    }
  }
}
