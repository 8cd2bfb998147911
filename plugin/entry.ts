// The plugin's entry point: the single executable (scripts/build-executable.mjs) starts here.
import { FULL_PLUGIN } from './all-commands.js';
import { main } from './main.js';

void main(process.argv.slice(2), FULL_PLUGIN);
