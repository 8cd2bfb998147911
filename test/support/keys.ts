// RSA keys for tests, read from test/fixtures/keys (made by scripts/make-test-keys.sh), handed out in
// turn so each certificate a test makes still has a key of its own. Certificate code takes its keys
// from a KeySource; production passes fresh ones, tests pass this, so no test waits on key generation.
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import type { KeySource } from '../../webhook/certs.js';
import { ROOT } from './fixtures.js';

const dir = join(ROOT, 'test', 'fixtures', 'keys');
const keys = readdirSync(dir).filter((f) => f.endsWith('.pem')).sort().map((f) => readFileSync(join(dir, f), 'utf8'));

/** A source that cycles through the fixture keys, starting from the first on every call of this function. */
export function fixtureKeys(): KeySource {
  let next = 0;
  return () => keys[next++ % keys.length]!;
}
