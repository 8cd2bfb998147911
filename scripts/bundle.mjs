// Bundles the plugin into one file: loading @kubernetes/client-node's module graph file by file costs
// more start-up time than the whole command, and `kubectl gray --help` should feel instant.
import { build } from 'esbuild';
import { chmod, mkdir, writeFile } from 'node:fs/promises';

await build({
  entryPoints: ['plugin/main.ts'],
  outExtension: { '.js': '.mjs' },
  outdir: 'dist/bundle',
  entryNames: 'kubectl-gray',
  chunkNames: 'chunks/[name]-[hash]',
  splitting: true,
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  minify: true,
  sourcemap: 'linked',
  legalComments: 'none',
  logLevel: 'warning',
  // Some CommonJS dependencies call require(); give the ESM bundle one.
  banner: { js: "import { createRequire as __gray_createRequire } from 'node:module'; const require = __gray_createRequire(import.meta.url);" },
});

await mkdir('bin', { recursive: true });
await writeFile('bin/kubectl-gray', `#!/bin/sh
# Launcher found by kubectl's plugin discovery (kubectl gray ...); runs the bundled plugin.
here=$(dirname "$(readlink -f "$0")")
exec node "$here/../dist/bundle/kubectl-gray.mjs" "$@"
`);
await chmod('bin/kubectl-gray', 0o755);
