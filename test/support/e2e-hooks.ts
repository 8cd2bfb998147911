// Root hooks for the end-to-end suite (mocha --require): each test's namespaces are deleted after it, so
// its pods stop instead of piling up on the one node while later tests run.
import { deleteFreshNamespaces } from './kubectl.js';

export const mochaHooks = {
  async afterEach(this: Mocha.Context): Promise<void> {
    this.timeout(60_000);
    if (process.env['KEEP_NAMESPACES'] === '1') return;
    await deleteFreshNamespaces();
  },
};
