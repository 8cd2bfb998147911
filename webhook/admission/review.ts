// AdmissionReview v1, defined once (client-node has no types for it), and the small response
// constructors every handler uses. The UID is always the request's.
import type { KubeObject } from '../../core/model.js';

export interface AdmissionRequest {
  uid: string;
  kind: { group: string; version: string; kind: string };
  resource?: { group: string; version: string; resource: string };
  name?: string;
  namespace?: string;
  operation: 'CREATE' | 'UPDATE' | 'DELETE' | 'CONNECT';
  userInfo?: { username?: string; uid?: string; groups?: string[] };
  object?: KubeObject | null;
  oldObject?: KubeObject | null;
  dryRun?: boolean;
}

export interface AdmissionResponse {
  uid: string;
  allowed: boolean;
  status?: { code: number; message: string; reason?: string };
  patch?: string;
  patchType?: 'JSONPatch';
  warnings?: string[];
  /** Kept in the API server's audit log beside the real user, each key prefixed with the webhook's name. */
  auditAnnotations?: Record<string, string>;
}

export interface AdmissionReview {
  apiVersion: 'admission.k8s.io/v1';
  kind: 'AdmissionReview';
  request?: AdmissionRequest;
  response?: AdmissionResponse;
}

export function review(response: AdmissionResponse): AdmissionReview {
  return { apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview', response };
}

export function allowed(uid: string, warnings: string[] = []): AdmissionResponse {
  return warnings.length ? { uid, allowed: true, warnings } : { uid, allowed: true };
}

export function denied(uid: string, message: string, warnings: string[] = []): AdmissionResponse {
  const r: AdmissionResponse = { uid, allowed: false, status: { code: 403, reason: 'Forbidden', message } };
  return warnings.length ? { ...r, warnings } : r;
}

export function errored(uid: string, code: number, message: string): AdmissionResponse {
  return { uid, allowed: false, status: { code, message } };
}

export interface JsonPatchOp {
  op: 'add' | 'replace' | 'remove';
  path: string;
  value?: unknown;
}

export function patched(uid: string, ops: JsonPatchOp[], warnings: string[] = []): AdmissionResponse {
  if (ops.length === 0) return allowed(uid, warnings);
  const r: AdmissionResponse = { uid, allowed: true, patchType: 'JSONPatch', patch: Buffer.from(JSON.stringify(ops)).toString('base64') };
  return warnings.length ? { ...r, warnings } : r;
}

/** RFC 6901: "~" is "~0" and "/" is "~1" inside a JSON Pointer segment. */
export function pointerSegment(key: string): string {
  return key.replace(/~/g, '~0').replace(/\//g, '~1');
}
