// The executable's entry on the platform it is built on (scripts/build-executable.mjs): evaluated once, at build
// time, into a V8 startup snapshot, with the client library and yargs (plugin/cli.ts) loaded and a few offline command lines run,
// so that their functions are compiled already; each run deserialises that heap and calls main.
import { isSea } from 'node:sea';
import { startupSnapshot } from 'node:v8';
import { COMMANDS, FULL_PLUGIN } from './all-commands.js';
import { runCli } from './cli.js';
import type { CommandContext } from './context.js';
import './kube/connect.js';
import { main } from './main.js';

/** Runs a few command lines offline, output discarded, so the snapshot holds their functions compiled. */
async function warmUp(): Promise<void> {
  const ctx: CommandContext = {
    io: { out: () => undefined, err: () => undefined, color: false },
    connect: () => Promise.reject(new Error('no cluster while building the snapshot')),
    now: () => new Date(0),
    readFile: () => Promise.reject(new Error('no files while building the snapshot')),
  };
  for (const args of [['--help'], ['version'], ['set-weight', 'reviews', 'v2=10'], ['status', 'reviews'], ['nosuch']]) {
    await runCli(args, ctx, COMMANDS);
  }
}

// The builder runs the event loop dry before it serialises the heap; the warm-up must have finished by then.
let warm = false;
void warmUp().then(() => { warm = true; });
startupSnapshot.addSerializeCallback(() => {
  if (!warm) throw new Error('the warm-up did not finish before the snapshot was taken');
});

startupSnapshot.setDeserializeMainFunction(() => {
  // In a single executable, argv[1] is the path the executable was started by (completion install reads it).
  void main(process.argv.slice(isSea() ? 2 : 1), FULL_PLUGIN);
});
