// Writes the policy CRDs into the chart and the default policy's schema into values.schema.json, from the rule
// catalogue (dist/core/policy-schema.js; run after tsc). `--check` only says whether they are current.
// Usage: node scripts/gen-policy-crds.mjs [--check]
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const { policyCrdsTemplate, policySpecSchema } = await import(join(root, 'dist/core/policy-schema.js'));
const crdPath = join(root, 'charts/kubectl-gray/templates/policy-crds.yaml');
const valuesPath = join(root, 'charts/kubectl-gray/values.schema.json');
const values = JSON.parse(readFileSync(valuesPath, 'utf8'));
values.properties.policy = { ...values.properties.policy, ...policySpecSchema('cluster', 'values') };
const wanted = [[crdPath, policyCrdsTemplate()], [valuesPath, `${JSON.stringify(values, null, 2)}\n`]];
const stale = wanted.filter(([path, text]) => { try { return readFileSync(path, 'utf8') !== text; } catch { return true; } });
if (process.argv.includes('--check')) {
  if (stale.length) { console.error(`stale: ${stale.map(([p]) => p).join(', ')}; run node scripts/gen-policy-crds.mjs`); process.exit(1); }
} else for (const [path, text] of stale) writeFileSync(path, text);
