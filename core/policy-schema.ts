// The schema of a policy's spec, from the rule catalogue: the CRDs' OpenAPI schema (the API server prunes and, with
// kubectl's strict field validation, refuses what it does not define) and the chart's values.schema.json for the
// default policy. scripts/gen-policy-crds.mjs writes both; a unit test keeps them in step with the rules.
import { stringify } from 'yaml';
import { POLICY_GROUP, POLICY_VERSION } from './policy.js';
import { RULES, type RuleName } from './rules.js';

type Schema = Record<string, unknown>;

const text = { type: 'string' };
const list = (items: Schema, extra: Schema = {}): Schema => ({ type: 'array', items, ...extra });

export function policySpecSchema(scope: 'cluster' | 'namespaced', flavour: 'crd' | 'values'): Schema {
  const closed = flavour === 'values' ? { additionalProperties: false } : {};
  // Helm values use null for "no limit"; a CRD leaves the key out.
  const maybe = (s: Schema): Schema => (flavour === 'values' ? { ...s, type: [s['type'], 'null'] } : s);
  const time = flavour === 'crd' ? { type: 'string', format: 'date-time' } : text;
  const relaxable = (Object.keys(RULES) as RuleName[]).filter((r) => RULES[r].relaxable);
  const window: Schema = {
    type: 'object', ...closed,
    description: 'A date range (start, end) or a recurring window (a five-field cron schedule read in timeZone, and how long each lasts).',
    properties: {
      start: { ...time, description: 'ISO 8601; the window is [start, end).' },
      end: time,
      schedule: { type: 'string', description: 'Five-field cron: minute hour day-of-month month day-of-week ("0 18 * * 5").' },
      duration: { type: 'string', pattern: '^([0-9]+h)?([0-9]+m)?([0-9]+s)?$', description: 'How long each freeze lasts: 62h, 90m, 1h30m.' },
      timeZone: { type: 'string', description: 'IANA time zone the schedule is read in (default UTC).' },
      reason: { type: 'string', description: 'Said in every refusal.' },
    },
    ...(flavour === 'crd' ? {
      required: ['reason'],
      'x-kubernetes-validations': [{
        rule: 'has(self.schedule) ? (has(self.duration) && !has(self.start) && !has(self.end)) : (has(self.start) && has(self.end) && !has(self.duration) && !has(self.timeZone))',
        message: 'a freeze window is either start and end, or schedule and duration (with an optional timeZone)',
      }],
    } : {}),
  };
  const properties: Record<string, Schema> = {
    rules: {
      type: 'object', ...closed,
      description: 'Mode per rule: enforce (refuse), warn (allow and warn), audit (allow, record only), off. Only kubectl-gray\'s own rules can be relaxed.',
      properties: Object.fromEntries(relaxable.map((r) => [r, { type: 'string', enum: ['enforce', 'warn', 'audit', 'off'] }])),
    },
    maxWeightStep: maybe({ type: 'integer', minimum: 1, maximum: 100, description: 'The most percentage points one change may move to or from a destination.' }),
    minSecondsBetweenWeightChanges: maybe({ type: 'integer', minimum: 1, description: 'The least seconds between two weight changes of one VirtualService, by the webhook\'s stamp.' }),
    forbidZeroToHundred: { type: 'boolean', description: 'Refuse taking a destination from 0 % to 100 % of a route in one change.' },
    freezeWindows: list(window),
  };
  if (scope === 'cluster') {
    properties['forbiddenNamespaces'] = list(text, { description: 'Namespaces where gray changes are refused.' });
    properties['exemptions'] = list({
      type: 'object', ...closed, required: ['subjects', 'rules', 'expires', 'reason'],
      properties: {
        subjects: list({
          type: 'object', ...closed, required: ['kind', 'name'],
          properties: { kind: { type: 'string', enum: ['User', 'Group', 'ServiceAccount'] }, name: text, namespace: text },
        }, { minItems: 1 }),
        rules: list({ type: 'string', enum: relaxable }, { minItems: 1 }),
        expires: time,
        reason: { type: 'string', minLength: 1 },
      },
    }, { description: 'Subjects who may pass some rules until a time; every use is recorded.' });
    if (flavour === 'crd') {
      properties['namespaceSelector'] = {
        type: 'object', description: 'The namespaces it applies to, by label; all when absent.',
        properties: {
          matchLabels: { type: 'object', additionalProperties: text },
          matchExpressions: list({
            type: 'object', required: ['key', 'operator'],
            properties: { key: text, operator: { type: 'string', enum: ['In', 'NotIn', 'Exists', 'DoesNotExist'] }, values: list(text) },
          }),
        },
      };
    }
  }
  return { type: 'object', ...closed, properties };
}

function crd(kind: 'ClusterGrayPolicy' | 'GrayPolicy'): Schema {
  const plural = kind.toLowerCase().replace(/y$/, 'ies');
  const cluster = kind === 'ClusterGrayPolicy';
  return {
    apiVersion: 'apiextensions.k8s.io/v1', kind: 'CustomResourceDefinition',
    metadata: { name: `${plural}.${POLICY_GROUP}`, annotations: { 'helm.sh/resource-policy': 'keep' } },
    spec: {
      group: POLICY_GROUP, scope: cluster ? 'Cluster' : 'Namespaced',
      names: { kind, listKind: `${kind}List`, plural, singular: kind.toLowerCase(), shortNames: [cluster ? 'cgpol' : 'gpol'], categories: ['kubectl-gray'] },
      versions: [{
        name: POLICY_VERSION, served: true, storage: true,
        additionalPrinterColumns: [
          ...(cluster ? [{ name: 'Namespaces', type: 'string', jsonPath: '.spec.namespaceSelector.matchLabels', description: 'The namespaces it applies to (all when empty)' }] : []),
          { name: 'Step', type: 'integer', jsonPath: '.spec.maxWeightStep' },
          { name: 'Soak', type: 'integer', jsonPath: '.spec.minSecondsBetweenWeightChanges' },
          { name: 'Age', type: 'date', jsonPath: '.metadata.creationTimestamp' },
        ],
        schema: { openAPIV3Schema: { type: 'object', required: ['spec'], properties: { apiVersion: text, kind: text, metadata: { type: 'object' }, spec: policySpecSchema(cluster ? 'cluster' : 'namespaced', 'crd') } } },
      }],
    },
  };
}

/** The chart's template of both CRDs. */
export function policyCrdsTemplate(): string {
  const header = '# Generated by scripts/gen-policy-crds.mjs from core/policy-schema.ts: edit those, then run it.\n'
    + '{{- if .Values.policyObjects.installCRDs }}\n';
  const docs = [crd('ClusterGrayPolicy'), crd('GrayPolicy')].map((d) => stringify(d, { lineWidth: 0, aliasDuplicateObjects: false, version: '1.1' }).replace(/^metadata:\n/m, 'metadata:\n  labels:\n    {{- include "gray.labels" . | nindent 4 }}\n'));
  return `${header}${docs.map((d) => `---\n${d}`).join('')}{{- end }}\n`;
}
