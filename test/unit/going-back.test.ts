// Going back is always allowed: during a freeze, or past a step limit, a change that only returns traffic to the
// stable subset recorded when the release started (rollback, an abort, undoing a step) passes; a step forward
// does not. The plugin and the webhook decide it with the same function.
import { expect } from 'chai';
import { FakeCluster } from '../support/fake-cluster.js';
import { bookinfo } from '../support/fixtures.js';
import { FIXED_NOW, run } from '../support/run.js';

const FREEZE = { freezeWindows: [{ start: new Date(FIXED_NOW.getTime() - 3600_000).toISOString(), end: new Date(FIXED_NOW.getTime() + 3600_000).toISOString(), reason: 'sale' }] };

describe('going back is always allowed', () => {
  it('during a freeze: a step forward is refused; rollback, undoing a step and going back to stable pass', async () => {
    const fake = new FakeCluster('default', bookinfo().objects);
    await run(fake, ['set-weight', 'reviews', 'v2=20']);
    await run(fake, ['mirror', 'reviews', 'v2', '--percent', '10']);
    fake.policy = FREEZE;
    const forward = await run(fake, ['set-weight', 'reviews', 'v2=50']);
    expect([forward.code, forward.stderr]).to.satisfy(([code, err]: [number, string]) => code === 3 && err.includes('GRAY203 release-freeze'));
    const back = await run(fake, ['set-weight', 'reviews', 'v2=10']);
    expect(back.code, back.stderr).to.equal(0);
    const header = await run(fake, ['match-header', 'reviews', 'end-user=jason', '--subset', 'v2']);
    expect(header.code).to.equal(3); // a new route is a step forward
    const rollback = await run(fake, ['rollback', 'reviews']);
    expect(rollback.code, rollback.stderr).to.equal(0);
  });

  it('past a step limit: an abort from 50 % straight back to stable passes; 50 % at once from 10 % does not', async () => {
    const fake = new FakeCluster('default', bookinfo().objects);
    fake.policy = { maxWeightStep: 20 };
    for (const w of [10, 30, 50]) expect((await run(fake, ['set-weight', 'reviews', `v2=${w}`])).code).to.equal(0);
    expect((await run(fake, ['set-weight', 'reviews', 'v2=90'])).stderr).to.contain('GRAY202 weight-step');
    const abort = await run(fake, ['rollback', 'reviews']);
    expect(abort.code, abort.stderr).to.equal(0);
  });
});
