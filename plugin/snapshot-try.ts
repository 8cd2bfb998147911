// The startup-snapshot entry: `node --snapshot-blob F --build-snapshot` evaluates the whole plugin,
// client library included, once at build time; each run deserialises that heap and calls main.
import { startupSnapshot } from 'node:v8';
import { COMMANDS, FULL_PLUGIN } from './all-commands.js';
import { runCli } from './cli.js';
import type { CommandContext } from './context.js';
import { main } from './main.js';
import './kube/connect.js'; // evaluated now, so that connecting costs no module evaluation at run time

/** Runs a few commands offline, output discarded, so the snapshot holds their functions already compiled. */
async function warmUp(): Promise<void> {
  const ctx: CommandContext = {
    io: { out: () => undefined, err: () => undefined, color: false },
    connect: () => Promise.reject(new Error('no cluster while building the snapshot')),
    now: () => new Date(0),
    readFile: () => Promise.reject(new Error('no files while building the snapshot')),
  };
  // Not analyze: its schema validators stay out of the snapshot (scripts/bundle.mjs, lazy-validators).
  for (const args of [['--help'], ['version'], ['set-weight', '-h'], ['status', '-h'], ['nosuch']]) {
    await runCli(args, ctx, COMMANDS);
  }
}

// The builder runs the event loop dry before it serialises the heap; make sure the warm-up got that far.
let warm = false;
void warmUp().then(() => { warm = true; });
startupSnapshot.addSerializeCallback(() => {
  if (!warm) throw new Error('the warm-up did not finish before the snapshot was taken');
});

startupSnapshot.setDeserializeMainFunction(() => {
  // Node 20 puts the first user argument at argv[1]; newer versions repeat argv[0] there.
  const argv = process.argv;
  void main(argv[1] === argv[0] ? argv.slice(2) : argv.slice(1), FULL_PLUGIN);
});
