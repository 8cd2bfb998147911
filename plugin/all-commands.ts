// The plugin's registrations, and its way to a cluster. Kept apart from cli.ts and main.ts so that tests may
// register fewer commands.
import type { GrayCommand } from './command.js';
import { analyzeCommand } from './commands/analyze.js';
import { canaryCommand } from './commands/canary.js';
import { colorCommand } from './commands/color.js';
import { completionCommand } from './commands/completion.js';
import { historyCommand } from './commands/history.js';
import { laneCommand } from './commands/lane.js';
import { matchCookieCommand } from './commands/match-cookie.js';
import { matchHeaderCommand } from './commands/match-header.js';
import { mirrorCommand } from './commands/mirror.js';
import { rollbackCommand } from './commands/rollback.js';
import { setWeightCommand } from './commands/set-weight.js';
import { statusCommand } from './commands/status.js';
import { switchCommand } from './commands/switch.js';
import { undoCommand } from './commands/undo.js';
import { policyCommand } from './commands/policy.js';
import type { Entry } from './main.js';

export const COMMANDS: GrayCommand[] = [
  statusCommand, setWeightCommand, switchCommand, matchHeaderCommand, matchCookieCommand, mirrorCommand,
  rollbackCommand, historyCommand, undoCommand, canaryCommand, laneCommand, colorCommand, analyzeCommand, policyCommand, completionCommand,
];

/** Every command; the client library is loaded only by a command that connects. */
export const FULL_PLUGIN: Entry = {
  commands: COMMANDS,
  async connect(flags) {
    const { connectCluster } = await import('./kube/connect.js');
    return connectCluster(flags);
  },
};
