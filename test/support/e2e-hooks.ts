// Root hooks for the end-to-end suite (mocha --require): the plugin is installed from the release with krew
// before any test; each test's namespaces are deleted after it, so its pods stop instead of piling up on the one
// node while later tests run.
import { installWithKrew } from './krew.js';
import { deleteFreshNamespaces } from './kubectl.js';

export const mochaHooks = {
  async beforeAll(this: Mocha.Context): Promise<void> {
    this.timeout(120_000);
    await installWithKrew();
  },

  async afterEach(this: Mocha.Context): Promise<void> {
    this.timeout(60_000);
    if (process.env['KEEP_NAMESPACES'] === '1') return;
    await deleteFreshNamespaces();
  },
};
