// The plain entry point (bin/kubectl-gray without a startup snapshot).
import { FULL_PLUGIN } from './all-commands.js';
import { main } from './main.js';

void main(process.argv.slice(2), FULL_PLUGIN);
