// Temporary directories for tests and benchmarks, removed when the process exits: a run leaves nothing in /tmp.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const made: string[] = [];
process.on('exit', () => {
  for (const dir of made) rmSync(dir, { recursive: true, force: true });
});

/** A new directory under the system's temporary directory, named gray-<prefix>-XXXXXX. */
export function tempDir(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), `gray-${prefix}-`));
  made.push(dir);
  return dir;
}
