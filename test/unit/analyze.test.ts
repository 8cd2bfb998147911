// kubectl gray analyze (issue 15): inputs, the schema with its hints, Istio's checks, outputs and exit codes;
// the webhook's refusal of an empty destination; the committed schema bundle and precompiled validators against
// their generators.
import { expect } from 'chai';
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { validateIstio } from '../../webhook/admission/handlers.js';
import type { AdmissionRequest } from '../../webhook/admission/review.js';
import { DEFAULT_POLICY } from '../../core/policy.js';
import { FIXED_NOW, run } from '../support/run.js';
import { ROOT } from '../support/fixtures.js';
import { loadText } from '../../plugin/analyze/inputs.js';
import { checkSchema } from '../../core/schema/validate.js';

const ISSUE_EXAMPLE = `apiVersion: networking.istio.io/v1
kind: VirtualService
metadata:
  name: reviews
spec:
  hosts:
  - reviews
  http:
  - route:
    - destination:
      host: reviews
      subset: v1
      weight: 50
`;

const DR = 'apiVersion: networking.istio.io/v1\nkind: DestinationRule\nmetadata: {name: reviews}\nspec: {host: reviews, subsets: [{name: v1}, {name: v2}]}\n';
const VS_V2 = 'apiVersion: networking.istio.io/v1\nkind: VirtualService\nmetadata: {name: reviews}\nspec:\n  hosts: [reviews]\n  http:\n  - route:\n    - destination: {host: reviews, subset: v2}\n';
const DEPLOY = 'apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: reviews-v1}\nspec: {}\n';

describe('kubectl gray analyze', () => {
  it('refuses the issue\'s example with hints at the lines to fix, exit 3', async () => {
    const r = await run(undefined, ['analyze', 'vs.yaml'], { 'vs.yaml': ISSUE_EXAMPLE });
    expect(r.code).to.equal(3);
    expect(r.stderr).to.equal('');
    expect(r.stdout).to.equal(
      'vs.yaml:10:7: error GRAY401 destination-required: VirtualService default/reviews spec.http[0].route[0].destination: the route entry has no destination (Istio: "destination is required"); a common cause is host/subset indented beside destination: instead of under it. Fix: indent host: (and subset:, port:) under destination:, e.g. "- destination: {host: reviews, subset: v1}" with weight: beside destination:\n' +
      'vs.yaml:11:7: error GRAY301 destination-misplaced: VirtualService default/reviews spec.http[0].route[0].host: "host" sits beside destination: instead of under it, so the destination is empty. Fix: indent host two more spaces so it is under destination: (only weight, headers stay beside destination)\n' +
      'vs.yaml:12:7: error GRAY301 destination-misplaced: VirtualService default/reviews spec.http[0].route[0].subset: "subset" sits beside destination: instead of under it, so the destination is empty. Fix: indent subset two more spaces so it is under destination: (only weight, headers stay beside destination)\n' +
      '3 errors, 0 warnings in 1 Istio object from 1 file.\n');
  });

  it('reads directories recursively, multi-document files and stdin; skips other kinds but counts them; resolves subsets across files', async () => {
    const files = {
      'deploy/istio/dr.yaml': DR,
      'deploy/istio/routes/vs.yml': VS_V2,
      'deploy/apps.yaml': `${DEPLOY}---\napiVersion: v1\nkind: Service\nmetadata: {name: reviews}\n`,
      'deploy/README.md': '# not a manifest',
      '-': `${DR}---\n${VS_V2.replace('v2', 'v9')}`,
    };
    expect(await run(undefined, ['analyze', 'deploy'], files)).to.deep.equal({
      code: 0, stderr: '', stdout: 'No problems found in 2 Istio objects from 3 files; 2 other objects skipped.\n',
    });
    const piped = await run(undefined, ['analyze', '-'], files);
    expect(piped.code).to.equal(3);
    expect(piped.stdout).to.contain('-:13:36: error GRAY104 subset-undefined: VirtualService default/reviews spec.http[0].route[0].destination.subset: routes to subset "v9"');
    // A List (kubectl get -o yaml) is unwrapped, and positions point into its items.
    const list = `apiVersion: v1\nkind: List\nitems:\n- ${DR.trim().split('\n').join('\n  ')}\n`;
    expect((await run(undefined, ['analyze', 'l.yaml'], { 'l.yaml': list })).stdout).to.equal('No problems found in 1 Istio object from 1 file.\n');
  });

  it('gives hints of their own for a match at the wrong level, a weight on a lone destination, and a subset with no DestinationRule', async () => {
    const vs = 'apiVersion: networking.istio.io/v1\nkind: VirtualService\nmetadata: {name: r}\nspec:\n  hosts: [r]\n  http:\n  - match:\n    - prefix: /api\n      uri: /v1\n    route:\n    - destination: {host: r, subset: v1}\n      weight: 50\n';
    const r = await run(undefined, ['analyze', 'm.yaml'], { 'm.yaml': vs });
    expect(r.stdout.split('\n').filter(Boolean)).to.deep.equal([
      'm.yaml:8:7: error GRAY302 match-level: VirtualService default/r spec.http[0].match[0].prefix: "prefix" must be inside the field it matches, not directly in the match. Fix: write e.g. uri: {prefix: ...} or headers: {NAME: {prefix: ...}}',
      'm.yaml:9:7: error GRAY302 match-level: VirtualService default/r spec.http[0].match[0].uri: uri is a string match, not a string. Fix: write uri: {exact: "/v1"} (or prefix: / regex:)',
      'm.yaml:11:30: error GRAY104 subset-undefined: VirtualService default/r spec.http[0].route[0].destination.subset: routes to subset "v1" of host r.default.svc.cluster.local, but no DestinationRule for that host defines any subset. Fix: create a DestinationRule for r.default.svc.cluster.local with subset "v1" and apply it before this VirtualService (a webhook cannot see objects later in the same apply)',
      'm.yaml:12:7: warning GRAY309 weight-lone-destination: VirtualService default/r spec.http[0].route[0].weight: weight 50 on the route\'s only destination, which gets all of the traffic anyway. Fix: remove the weight, or add the other destinations the split was meant for (their weights then share the traffic)',
      '3 errors, 1 warning in 1 Istio object from 1 file.',
    ]);
  });

  it('reports schema problems with path and fix: unknown fields, types, enums, CEL durations, unknown versions', async () => {
    const vs = 'apiVersion: networking.istio.io/v1\nkind: VirtualService\nmetadata: {name: r}\nspec:\n  hostz: [r]\n  http:\n  - timeout: 500us\n    retries: {attempts: "3", retryOn: 5xx}\n    route:\n    - destination: {host: r}\n---\napiVersion: networking.istio.io/v1\nkind: DestinationRule\nmetadata: {name: r}\nspec: {host: r, trafficPolicy: {loadBalancer: {simple: ROUND_ROBN}}}\n---\napiVersion: networking.istio.io/v2\nkind: Gateway\nmetadata: {name: g}\n';
    const r = await run(undefined, ['analyze', 's.yaml', '-o', 'json'], { 's.yaml': vs });
    const out = JSON.parse(r.stdout) as { findings: Array<{ code: string; field: string; line: number; column: number; problem: string; fix: string }>; summary: unknown };
    expect(out.findings.map((f) => `${f.line}:${f.column} ${f.code} ${f.field}`)).to.deep.equal([
      '5:3 GRAY303 spec.hostz',
      '7:5 GRAY307 spec.http[0].timeout',
      '7:5 GRAY403 spec.http[0].timeout',
      '8:15 GRAY304 spec.http[0].retries.attempts',
      '15:48 GRAY305 spec.trafficPolicy.loadBalancer.simple',
      '17:1 GRAY308 apiVersion',
    ]);
    expect(out.findings.find((f) => f.code === 'GRAY304')!.fix).to.equal('write 3 without quotes');
    expect(out.findings.find((f) => f.code === 'GRAY305')!.problem).to.match(/^the string "ROUND_ROBN" is not one of .*ROUND_ROBIN/);
    expect(out.findings.find((f) => f.code === 'GRAY307')!.problem).to.equal('must be a valid duration greater than 1ms (the string "500us")');
    expect(out.findings.find((f) => f.code === 'GRAY308')!.fix).to.match(/^use apiVersion networking\.istio\.io\/v1/);
    expect(out.summary).to.deep.equal({ errors: 6, warnings: 0, istioObjects: 3, skippedObjects: 0, files: 1, unreadableFiles: 0 });
  });

  it('keeps a header match named __proto__ (a legal header name) as a key when checking the schema', () => {
    const vs = {
      apiVersion: 'networking.istio.io/v1', kind: 'VirtualService', metadata: { name: 'r', namespace: 'd' },
      spec: { hosts: ['r'], http: [{ match: [JSON.parse('{"headers": {"__proto__": {"exakt": "x"}}}')], route: [{ destination: { host: 'r' } }] }] },
    };
    expect(checkSchema(vs).map((f) => `${f.code} ${f.field} ${f.problem}`)).to.deep.equal([
      'GRAY303 spec.http[0].match[0].headers.__proto__.exakt unknown field "exakt"',
    ]);
  });

  it('-o sarif: SARIF 2.1.0 with rule metadata, file, line and column', async () => {
    const r = await run(undefined, ['analyze', 'deploy/vs.yaml', '-o', 'sarif'], { 'deploy/vs.yaml': ISSUE_EXAMPLE });
    expect(r.code).to.equal(3);
    const sarif = JSON.parse(r.stdout);
    expect(sarif.version).to.equal('2.1.0');
    const run0 = sarif.runs[0];
    expect(run0.tool.driver.rules.map((x: { id: string }) => x.id)).to.deep.equal(['GRAY301', 'GRAY401']);
    expect(run0.results[0]).to.deep.equal({
      ruleId: 'GRAY401', ruleIndex: 1, level: 'error',
      message: { text: 'VirtualService default/reviews spec.http[0].route[0].destination: the route entry has no destination (Istio: "destination is required"); a common cause is host/subset indented beside destination: instead of under it. Fix: indent host: (and subset:, port:) under destination:, e.g. "- destination: {host: reviews, subset: v1}" with weight: beside destination:' },
      locations: [{
        physicalLocation: { artifactLocation: { uri: 'deploy/vs.yaml' }, region: { startLine: 10, startColumn: 7 } },
        logicalLocations: [{ fullyQualifiedName: 'VirtualService default/reviews spec.http[0].route[0].destination' }],
      }],
    });
  });

  it('--fail-on warning turns warnings into exit 3; usage errors exit 2', async () => {
    const files = { 'w.yaml': DR + '---\n' + VS_V2.replace('subset: v2}', 'subset: v2}\n      weight: 80') };
    expect((await run(undefined, ['analyze', 'w.yaml'], files)).code).to.equal(0);
    expect((await run(undefined, ['analyze', 'w.yaml', '--fail-on', 'warning'], files)).code).to.equal(3);
    const bad = await run(undefined, ['analyze', 'w.yaml', '--fail-on', 'info'], files);
    expect(bad).to.deep.equal({ code: 2, stdout: '', stderr: 'error: --fail-on "info": must be error or warning\nSee \'kubectl gray analyze -h\' for help and examples.\n' });
    const yaml = await run(undefined, ['analyze', 'b.yaml'], { 'b.yaml': 'a: [\n' });
    expect(yaml.code).to.equal(2);
    expect([yaml.stderr, yaml.stdout]).to.deep.equal(['', 'b.yaml:2:1: could not be read: not valid YAML: Flow sequence in block collection must be sufficiently indented and end with a ]\nNo problems found in 0 Istio objects from 1 file. 1 file could not be read in full.\n']);
    expect((await run(undefined, ['analyze', 'x.yaml', '-o', 'table'])).stderr).to.contain('allowed formats are: json,yaml,sarif');
  });

  it('judges Gateways and EnvoyFilters with Istio\'s own checks', async () => {
    const gw = 'apiVersion: networking.istio.io/v1\nkind: Gateway\nmetadata: {name: g}\nspec:\n  servers:\n  - port: {number: 443, name: https, protocol: HTTPS}\n    hosts: [shop]\n';
    const ef = 'apiVersion: networking.istio.io/v1alpha3\nkind: EnvoyFilter\nmetadata: {name: e}\nspec:\n  configPatches:\n  - applyTo: HTTP_FILTER\n    patch: {operation: MERGE}\n';
    const r = await run(undefined, ['analyze', 'g.yaml', 'e.yaml'], { 'g.yaml': gw, 'e.yaml': ef });
    expect(r.code).to.equal(3);
    expect(r.stdout.split('\n').filter(Boolean).map((l) => l.split(' ').slice(0, 3).join(' '))).to.deep.equal([
      'g.yaml:6:5: error GRAY411', 'g.yaml:7:13: error GRAY402', 'e.yaml:7:5: error GRAY413', '3 errors, 0',
    ]);
    expect(r.stdout).to.contain('GRAY402 host-invalid: Gateway default/g spec.servers[0].hosts[0]: short name "shop" is not allowed');
    expect(r.stdout).to.contain('GRAY411 gateway-invalid: Gateway default/g spec.servers[0].tls: a HTTPS server needs TLS settings');
    expect(r.stdout).to.contain('GRAY413 envoyfilter-invalid: EnvoyFilter default/e spec.configPatches[0].patch.value: a MERGE patch needs a value');
  });
});

describe('webhook: a route with an empty destination (issue 15, part 5)', () => {
  it('is refused with the same hint analyze gives', () => {
    // An API server without strict field validation pruned host/subset: only the weight is left.
    const req = {
      uid: 'u1', operation: 'CREATE', namespace: 'default',
      kind: { group: 'networking.istio.io', version: 'v1', kind: 'VirtualService' },
      object: { apiVersion: 'networking.istio.io/v1', kind: 'VirtualService', metadata: { name: 'reviews', namespace: 'default' }, spec: { hosts: ['reviews'], http: [{ route: [{ weight: 50 }] }] } },
    } as unknown as AdmissionRequest;
    const d = validateIstio(req, { virtualServices: () => [], destinationRules: () => [] }, DEFAULT_POLICY, FIXED_NOW);
    expect(d.response.allowed).to.equal(false);
    expect(d.response.status?.message).to.equal('kubectl-gray refused it (1 problem):\nGRAY401 destination-required: VirtualService default/reviews spec.http[0].route[0].destination: the route entry has no destination (Istio: "destination is required"); a common cause is host/subset indented beside destination: instead of under it. Fix: indent host: (and subset:, port:) under destination:, e.g. "- destination: {host: reviews, subset: v1}" with weight: beside destination:');
  });
});

describe('schema bundle', () => {
  it('the committed core/schema/istio-crds.json is what the generator makes from the pinned CRDs', async function () {
    this.timeout(120_000); // may ask Go for the istio.io/api module
    const root = process.cwd();
    const generator = await import(join(root, 'scripts/gen-istio-schema.mjs')) as {
      findCrdFile(): string | undefined; buildBundle(text: string, version: string): unknown; bundleText(b: unknown): string; pinnedApiVersion(): string;
    };
    let file: string | undefined;
    try {
      execFileSync('go', ['version'], { stdio: 'ignore' });
      file = generator.findCrdFile();
    } catch {
      file = process.env['ISTIO_CRD_FILE'];
    }
    if (!file || !existsSync(file)) this.skip();
    const expected = generator.bundleText(generator.buildBundle(readFileSync(file!, 'utf8'), generator.pinnedApiVersion()));
    expect(readFileSync(join(root, 'core/schema/istio-crds.json'), 'utf8') === expected, 'run node scripts/gen-istio-schema.mjs and commit the result').to.equal(true);
  });
});

describe('analyze inputs: YAML as kubectl reads it, and a real repository\'s other files', () => {
  it('reads YAML 1.1 as kubectl does: yes/on are booleans, 0644 is octal, merge keys merge, timestamps stay strings', () => {
    const { objects } = loadText([
      'apiVersion: v1', 'kind: X', 'metadata: {name: a}', 'base: &base {port: 80, tls: off}',
      'spec: {a: yes, b: on, c: 0644, d: 1_000, e: 0x1F, f: 2024-01-01, g: 12:30:00, h: "yes", i: y, m: {<<: *base, port: 81}}',
    ].join('\n'), 'f.yaml', 'ns');
    expect(objects[0]!['spec']).to.deep.equal({ a: true, b: true, c: 420, d: 1000, e: 31, f: '2024-01-01', g: '12:30:00', h: 'yes', i: true, m: { port: 81, tls: false } });
  });

  it('points findings at the line and column of the field', () => {
    const text = readFileSync(join(process.cwd(), 'test', 'fixtures', 'bookinfo.yaml'), 'utf8');
    const { objects, sources } = loadText(text, 'f.yaml', 'ns');
    const reviews = objects.findIndex((o) => o.kind === 'DestinationRule' && o.metadata.name === 'reviews');
    const lines = text.split('\n');
    const at = sources[reviews]!.locate('spec.subsets[1].name');
    expect(lines[at.line - 1]!.slice(at.column - 1)).to.match(/^name: v2/);
  });

  it('reports what it cannot read with where and why, and reads the rest of the file and the other files', async () => {
    const files = {
      'repo/broken.yaml': `${DR}---\nkind: X\nmetadata: {name: a\nspec: 1\n---\n${VS_V2}`,
      'repo/chart/templates/vs.yaml': 'apiVersion: networking.istio.io/v1\nkind: VirtualService\nmetadata:\n  name: {{ .Release.Name }}\n',
      'repo/data.json': '{"reviews": [1, 2, 3]}',
      'repo/.github/workflows/ci.yaml': 'on: [push]\njobs: {}\n',
      'repo/ci.yaml': 'on: [push]\njobs: {}\n',
      'repo/mixed.yaml': `${DEPLOY}---\njust: a map\n`,
      'repo/bad.json': '{"kind": "X",',
    };
    const r = await run(undefined, ['analyze', 'repo'], files);
    expect(r.code).to.equal(2);
    expect(r.stdout.split('\n')).to.deep.equal([
      'repo/bad.json:1:14: could not be read: not valid YAML: Flow map must end with a }',
      'repo/broken.yaml:8:1: could not be read: not valid YAML: Flow map in block collection must be sufficiently indented and end with a }',
      'repo/mixed.yaml:6:1: could not be read: not a Kubernetes object: no apiVersion, kind and metadata (kubectl apply refuses it)',
      'No problems found in 2 Istio objects from 3 files; 1 other object skipped; 3 files without manifests skipped. 3 files could not be read in full.',
      '',
    ]);
    const json = JSON.parse((await run(undefined, ['analyze', 'repo', '-o', 'json'], files)).stdout);
    expect(json.skippedFiles).to.deep.equal([
      { file: 'repo/chart/templates/vs.yaml', reason: 'a Helm template (analyze what helm template renders: helm template ... | kubectl gray analyze -)' },
      { file: 'repo/ci.yaml', reason: 'no Kubernetes objects' },
      { file: 'repo/data.json', reason: 'no Kubernetes objects' },
    ]);
    expect(json.summary.unreadableFiles).to.equal(3);
    const sarif = JSON.parse((await run(undefined, ['analyze', 'repo', '-o', 'sarif'], files)).stdout);
    expect(sarif.runs[0].invocations[0].executionSuccessful).to.equal(false);
    expect(sarif.runs[0].invocations[0].toolExecutionNotifications).to.have.length(3);
  });

  it('reports a document that is not a Kubernetes object among objects wherever it stands in the file', async () => {
    const r = await run(undefined, ['analyze', 'm.yaml'], { 'm.yaml': `just: a map\n---\n${DEPLOY}---\nalso: one\n` });
    expect([r.code, r.stdout.split('\n').filter((l) => l.startsWith('m.yaml:'))]).to.deep.equal([2, [
      'm.yaml:1:1: could not be read: not a Kubernetes object: no apiVersion, kind and metadata (kubectl apply refuses it)',
      'm.yaml:8:1: could not be read: not a Kubernetes object: no apiVersion, kind and metadata (kubectl apply refuses it)',
    ]]);
  });

  it('goes through this repository as it is: the chart\'s templates, JSON data and reviews skipped, every manifest analyzed', async () => {
    const files: Record<string, string> = {};
    const walk = (dir: string): void => {
      for (const e of readdirSync(join(ROOT, dir), { withFileTypes: true })) {
        if (e.name.startsWith('.')) continue;
        if (e.isDirectory()) walk(`${dir}/${e.name}`);
        else files[`${dir}/${e.name}`] = readFileSync(join(ROOT, dir, e.name), 'utf8');
      }
    };
    for (const dir of ['charts', 'test/fixtures', 'test/golden', 'bench/reviews', 'core/schema']) walk(dir);
    const r = await run(undefined, ['analyze', 'charts', 'test/fixtures', 'test/golden', 'bench/reviews', 'core/schema', '-o', 'json'], files);
    const report = JSON.parse(r.stdout);
    // Everything read (the fixtures of unrelated tests, analyzed together, do clash with each other: findings, exit 3).
    expect([r.code, report.unreadable]).to.deep.equal([3, []]);
    const skipped = new Map<string, string>(report.skippedFiles.map((f: { file: string; reason: string }) => [f.file, f.reason]));
    expect(skipped.get('charts/kubectl-gray/templates/webhook-deployment.yaml')).to.match(/^a Helm template/);
    expect(skipped.get('core/schema/istio-crds.json')).to.equal('no Kubernetes objects');
    expect(skipped.get('bench/reviews/virtualservice-set-weight.json')).to.equal('no Kubernetes objects');
    expect(report.summary.istioObjects).to.be.greaterThan(30);
  });
});
