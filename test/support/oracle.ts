// Verdicts on a corpus entry: analyze's, restricted to what istiod judges (Istio's own rules, plus the type and
// enum errors its JSON decoding refuses), and istiod's own through its /validate endpoint when one is given.
import { request } from 'node:https';
import { request as httpRequest } from 'node:http';
import { readFileSync } from 'node:fs';
import { analyzeObjects } from '../../core/analyze.js';
import type { KubeObject } from '../../core/model.js';
import { RULES } from '../../core/rules.js';
import type { Verdict } from './corpus.js';

const ISTIOD_DECODING = new Set(['schema-type', 'schema-enum', 'destination-required']);

export function analyzeIstioVerdict(object: KubeObject): { verdict: Verdict; codes: string[] } {
  const { findings } = analyzeObjects([object]);
  const deny = findings.filter((f) => f.severity === 'error' && (RULES[f.rule].source === 'istio' || ISTIOD_DECODING.has(f.rule)));
  return { verdict: deny.length > 0 ? 'deny' : 'allow', codes: [...new Set(deny.map((f) => f.code))] };
}

const PLURAL: Record<string, string> = {
  VirtualService: 'virtualservices', DestinationRule: 'destinationrules', Gateway: 'gateways', EnvoyFilter: 'envoyfilters',
};

/** Posts a CREATE AdmissionReview to istiod's /validate (ISTIOD_VALIDATE_URL; ISTIOD_VALIDATE_CA for its CA). */
export function istiodVerdict(url: string, object: KubeObject, uid: string): Promise<{ verdict: Verdict; message: string }> {
  const [group, version] = object.apiVersion.split('/') as [string, string];
  const body = JSON.stringify({
    apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview',
    request: {
      uid, kind: { group, version, kind: object.kind }, resource: { group, version, resource: PLURAL[object.kind] ?? `${object.kind.toLowerCase()}s` },
      operation: 'CREATE', namespace: object.metadata.namespace, name: object.metadata.name, object, userInfo: { username: 'kubectl-gray-corpus' },
    },
  });
  const target = new URL(url);
  const ca = process.env['ISTIOD_VALIDATE_CA'] ? readFileSync(process.env['ISTIOD_VALIDATE_CA']) : undefined;
  const send = target.protocol === 'https:' ? request : httpRequest;
  return new Promise((resolve, reject) => {
    const req = send(target, { method: 'POST', headers: { 'content-type': 'application/json' }, ca, timeout: 10_000 }, (res) => {
      let text = '';
      res.on('data', (c) => { text += c; });
      res.on('end', () => {
        try {
          const review = JSON.parse(text) as { response?: { allowed?: boolean; result?: { message?: string } } };
          resolve({ verdict: review.response?.allowed ? 'allow' : 'deny', message: review.response?.result?.message ?? '' });
        } catch (err) {
          reject(new Error(`istiod answered ${res.statusCode} with no AdmissionReview: ${text.slice(0, 200)} (${(err as Error).message})`));
        }
      });
    });
    req.on('timeout', () => req.destroy(new Error('istiod did not answer within 10s')));
    req.on('error', reject);
    req.end(body);
  });
}
