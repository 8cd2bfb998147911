// Root hooks for the unit suite (mocha --require). Work that happens once per process — loading the
// CLI's command modules, fastify's first route compilation — is done here, under a deadline sized for a
// busy 2-core machine, so that it is not charged to whichever test happens to run first. Unit tests
// themselves keep mocha's 2 s default and stay well under 1 s.
import { DEFAULT_POLICY } from '../../core/policy.js';
import { staticCache } from '../../webhook/cache.js';
import { buildServer } from '../../webhook/server.js';
import { FakeCluster } from './fake-cluster.js';
import { bookinfo } from './fixtures.js';
import { run } from './run.js';

export const mochaHooks = {
  async beforeAll(this: Mocha.Context): Promise<void> {
    this.timeout(60_000);
    const { virtualServices, destinationRules } = bookinfo();
    await run(new FakeCluster('default', bookinfo().objects), ['set-weight', 'reviews', 'v2=10', '--dry-run=client']);
    await run(undefined, ['set-weight', '--help']);
    const server = buildServer({ cache: staticCache(virtualServices, destinationRules), policy: () => DEFAULT_POLICY });
    await server.inject({ method: 'GET', url: '/healthz' });
    await server.close();
  },
};
