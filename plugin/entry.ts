// The plain entry point (bin/kubectl-gray without a startup snapshot).
import { main } from './main.js';

void main();
