// bench/webhook/judge: what the judgement of each recorded review costs in-process, against JSON.parse of the
// same review (what every route pays, always-allow included). No sockets and no second process, so the figure
// holds on a machine whose other tenants make the over-the-wire benchmark (run.ts) drift. Medians of 5 rounds.
import { readFileSync, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { median } from '../median.js';
import { DEFAULT_POLICY } from '../../core/policy.js';
import { mutateDeployment, validateIstio } from '../../webhook/admission/handlers.js';
import type { AdmissionRequest } from '../../webhook/admission/review.js';
import { world } from './world.js';

const reviewsDir = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', 'bench', 'reviews');
const COUNT = Number(process.env['BENCH_REQUESTS'] ?? 20_000);
const { virtualServices, destinationRules } = world();
const store = { virtualServices: () => virtualServices, destinationRules: () => destinationRules };

console.log(`webhook judgement, in-process: 5,000 VirtualServices + 5,000 DestinationRules cached; medians of 5 rounds of ${COUNT}`);
console.log(`${'review'.padEnd(32)}${'parse µs'.padEnd(12)}${'judge µs'.padEnd(12)}judge / parse`);
for (const file of readdirSync(reviewsDir).filter((f) => f.endsWith('.json')).sort()) {
  const text = readFileSync(join(reviewsDir, file), 'utf8');
  const judge = file.startsWith('deployment')
    ? (r: AdmissionRequest) => mutateDeployment(r)
    : (r: AdmissionRequest) => validateIstio(r, store, DEFAULT_POLICY, new Date());
  const parse: number[] = [];
  const judged: number[] = [];
  for (let round = 0; round < 5; round++) {
    let t = performance.now();
    for (let i = 0; i < COUNT; i++) JSON.parse(text);
    parse.push(((performance.now() - t) / COUNT) * 1000);
    const requests = Array.from({ length: COUNT }, () => (JSON.parse(text) as { request: AdmissionRequest }).request);
    t = performance.now();
    for (const r of requests) judge(r);
    judged.push(((performance.now() - t) / COUNT) * 1000);
  }
  const p = median(parse);
  const j = median(judged);
  console.log(`${file.replace(/\.json$/, '').padEnd(32)}${p.toFixed(1).padEnd(12)}${j.toFixed(1).padEnd(12)}${(j / p).toFixed(2)}`);
}
