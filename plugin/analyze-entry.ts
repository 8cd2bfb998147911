// The entry of the analyze-only bundle (scripts/bundle.mjs builds it into dist/analyze/, which bin/kubectl-gray
// runs with plain node for `kubectl gray analyze ...`): analyze and version registered alone, so that nothing
// of the other commands, the client library or the REST client is in it; main.ts gives it the same streams,
// closed-pipe handling and exit codes as the full plugin.
import { analyzeCommand } from './commands/analyze.js';
import { main } from './main.js';

void main(process.argv.slice(2), {
  commands: [analyzeCommand],
  // analyze reads files only; no command here connects.
  connect: () => Promise.reject(new Error('the analyze-only bundle of kubectl-gray does not connect to a cluster')),
});
