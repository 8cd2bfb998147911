// An in-memory API server at the REST level, for the webhook's cluster-side code (Lease, Secret, webhook
// configurations, Events): GET/POST/PUT by path, resourceVersions checked on PUT (a stale one is a
// Conflict), 404 for what is not there. `intercept` lets a test answer a request itself (a dry run, a fault).
import { ApiError } from '../../kube/errors.js';
import type { KubeRest, RestResponse } from '../../kube/rest.js';

type Intercept = (method: string, path: string, body: unknown) => RestResponse<unknown> | undefined | Promise<RestResponse<unknown> | undefined>;

export class FakeRest {
  readonly objects = new Map<string, any>();
  readonly log: string[] = [];
  intercept: Intercept | undefined;
  private version = 1;

  /** Typed as the real client for the code under test. */
  get asKubeRest(): KubeRest {
    return this as unknown as KubeRest;
  }

  put(path: string, object: any): any {
    const stored = structuredClone(object);
    stored.metadata = { ...stored.metadata, resourceVersion: String(++this.version), uid: stored.metadata?.uid ?? `uid-${this.version}` };
    this.objects.set(path, stored);
    return structuredClone(stored);
  }

  get(path: string): any {
    return structuredClone(this.objects.get(path));
  }

  /** Objects stored under a collection path (e.g. the Events in a namespace). */
  list(collection: string): any[] {
    return [...this.objects].filter(([p]) => p.startsWith(`${collection}/`)).map(([, o]) => structuredClone(o));
  }

  async request<T>(method: string, fullPath: string, body?: any): Promise<RestResponse<T>> {
    this.log.push(`${method} ${fullPath}`);
    const answered = await this.intercept?.(method, fullPath, body);
    if (answered) return answered as RestResponse<T>;
    const path = fullPath.split('?')[0]!;
    const current = this.objects.get(path);
    if (method === 'GET') {
      if (!current) throw new ApiError(404, 'NotFound', `${path} not found`);
      return { status: 200, body: structuredClone(current), warnings: [] };
    }
    if (method === 'POST') {
      const name = body.metadata.name ?? `${body.metadata.generateName ?? ''}${this.version + 1}`;
      const target = `${path}/${name}`;
      if (this.objects.has(target)) throw new ApiError(409, 'AlreadyExists', `${target} already exists`);
      return { status: 201, body: this.put(target, { ...body, metadata: { ...body.metadata, name } }) as T, warnings: [] };
    }
    if (method === 'PUT') {
      if (!current) throw new ApiError(404, 'NotFound', `${path} not found`);
      if (body.metadata?.resourceVersion !== current.metadata.resourceVersion) {
        throw new ApiError(409, 'Conflict', `Operation cannot be fulfilled on ${path}: the object has been modified; please apply your changes to the latest version and try again`);
      }
      return { status: 200, body: this.put(path, { ...body, metadata: { ...body.metadata, uid: current.metadata.uid } }) as T, warnings: [] };
    }
    throw new Error(`fake REST: ${method} not supported`);
  }
}
