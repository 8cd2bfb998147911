// The webhook's caches: a paged list, then a watch from its resourceVersion; not synced (so not ready) until a
// list has succeeded; a 410 Gone lists again; a broken watch resumes from the last resourceVersion seen.
import { expect } from 'chai';
import type { KubeObject, VirtualService } from '../../core/model.js';
import { ApiError, ConnectionError } from '../../kube/errors.js';
import type { RestResponse, WatchEvent } from '../../kube/rest.js';
import { DEFAULT_POLICY } from '../../core/policy.js';
import { PAGE_SIZE } from '../../kube/rest.js';
import { Reflector, istioCache } from '../../webhook/cache.js';
import { RouteTable } from '../../core/route-index.js';
import { buildServer } from '../../webhook/server.js';
import { eventually } from '../support/wait.js';

const PATH = '/apis/networking.istio.io/v1/virtualservices';
const vs = (name: string, rv: string): KubeObject => ({
  metadata: { name, namespace: 'shop', resourceVersion: rv, managedFields: [{ manager: 'kubectl' }], annotations: { 'kubectl.kubernetes.io/last-applied-configuration': '{}', team: 'a' } },
  spec: { hosts: [name] }, status: { observedGeneration: 1 },
} as unknown as KubeObject);

/** An API server at the REST level: lists paged from `objects`, watches scripted by the test one at a time. */
class ScriptedApi {
  objects: KubeObject[] = [];
  listRv = '100';
  failLists = 0;
  readonly requests: string[] = [];
  readonly watches: Array<{ path: string; emit: (e: WatchEvent) => void; end: (err?: Error) => void }> = [];

  async request<T>(method: string, path: string): Promise<RestResponse<T>> {
    this.requests.push(`${method} ${path}`);
    if (this.failLists > 0) {
      this.failLists -= 1;
      throw new ConnectionError('The connection to the server 127.0.0.1:6443 was refused');
    }
    const url = new URL(path, 'https://x');
    const limit = Number(url.searchParams.get('limit'));
    const from = Number(url.searchParams.get('continue') ?? 0);
    const items = this.objects.slice(from, from + limit).map((o) => structuredClone(o));
    const more = from + limit < this.objects.length;
    return { status: 200, body: { items, metadata: { resourceVersion: this.listRv, ...(more ? { continue: String(from + limit) } : {}) } } as T, warnings: [] };
  }

  watch(path: string, onEvent: (e: WatchEvent) => void, signal: AbortSignal): Promise<void> {
    return new Promise((resolve, reject) => {
      const end = (err?: Error) => (err ? reject(err) : resolve());
      signal.addEventListener('abort', () => resolve());
      this.watches.push({ path, emit: onEvent, end });
    });
  }

  lastWatch() { return this.watches.at(-1)!; }
}

const quiet = { info: () => undefined, warn: () => undefined };
const names = (r: Reflector<KubeObject>) => r.list().map((o) => o.metadata.name).sort();

describe('webhook cache (list, then watch)', () => {
  let reflector: Reflector<KubeObject> | undefined;
  afterEach(() => reflector?.stop());

  it('lists in pages, keeps only what the rules read, then watches from the list\'s resourceVersion', async () => {
    const api = new ScriptedApi();
    api.objects = Array.from({ length: PAGE_SIZE * 2 + 3 }, (_, i) => vs(`r${i}`, String(i + 1)));
    reflector = new Reflector(api, PATH, 'networking.istio.io/v1', 'VirtualService', quiet, 1, 0);
    await reflector.start();
    expect(reflector.synced()).to.equal(true);
    expect(reflector.list()).to.have.length(PAGE_SIZE * 2 + 3);
    expect(api.requests).to.deep.equal([
      `GET ${PATH}?limit=${PAGE_SIZE}`, `GET ${PATH}?limit=${PAGE_SIZE}&continue=${PAGE_SIZE}`, `GET ${PATH}?limit=${PAGE_SIZE}&continue=${PAGE_SIZE * 2}`,
    ]);
    const first = reflector.list().find((o) => o.metadata.name === 'r0')!;
    expect(first).to.deep.equal({
      apiVersion: 'networking.istio.io/v1', kind: 'VirtualService',
      metadata: { name: 'r0', namespace: 'shop', resourceVersion: '1', annotations: { team: 'a' } }, spec: { hosts: ['r0'] },
    });
    await eventually(async () => expect(api.watches).to.have.length(1), 5000, 5);
    expect(api.lastWatch().path).to.equal(`${PATH}?watch=1&allowWatchBookmarks=true&timeoutSeconds=300&resourceVersion=100`);
  });

  it('is not synced, and start() does not resolve, until a list succeeds', async () => {
    const api = new ScriptedApi();
    api.objects = [vs('reviews', '5')];
    api.failLists = 3;
    reflector = new Reflector(api, PATH, 'networking.istio.io/v1', 'VirtualService', quiet, 1, 0);
    let started = false;
    const start = reflector.start().then(() => { started = true; });
    await eventually(async () => expect(api.requests.length).to.be.at.least(2), 5000, 1);
    expect([reflector.synced(), started, reflector.list()]).to.deep.equal([false, false, []]);
    await start;
    expect([reflector.synced(), api.requests.length, names(reflector)]).to.deep.equal([true, 4, ['reviews']]);
  });

  it('under a stream of changes, one array per window: the indexes are not rebuilt for every review of a bulk apply', async () => {
    const api = new ScriptedApi();
    api.objects = [vs('reviews', '5')];
    reflector = new Reflector(api, PATH, 'networking.istio.io/v1', 'VirtualService', quiet, 1, 300);
    await reflector.start();
    await eventually(async () => expect(api.watches).to.have.length(1), 5000, 5);
    const first = reflector.list();
    api.lastWatch().emit({ type: 'ADDED', object: vs('details', '101') as unknown as WatchEvent['object'] });
    // Inside the window: the state it was built from, the same array; once it has passed, the new state.
    expect(reflector.list()).to.equal(first);
    const r = reflector;
    await eventually(async () => expect(names(r)).to.deep.equal(['details', 'reviews']), 5000, 20);
  });

  it('keeps the route table with each event, at once (no snapshot window): the route query never rebuilds an index', async () => {
    const api = new ScriptedApi();
    api.objects = [vs('reviews', '5')];
    const routes = new RouteTable();
    const r = reflector = new Reflector(api, PATH, 'networking.istio.io/v1', 'VirtualService', quiet, 1, 300,
      { set: (_key, o) => routes.set(o as VirtualService), delete: (key) => routes.delete(key), clear: () => routes.clear() });
    await r.start();
    const about = (host: string) => routes.about([`${host}.shop.svc.cluster.local`]).map((o) => o.metadata.name);
    expect(about('reviews')).to.deep.equal(['reviews']);
    await eventually(async () => expect(api.watches).to.have.length(1), 5000, 5);
    api.lastWatch().emit({ type: 'ADDED', object: vs('details', '101') as unknown as WatchEvent['object'] });
    expect(about('details')).to.deep.equal(['details']);
    api.lastWatch().emit({ type: 'DELETED', object: vs('reviews', '102') as unknown as WatchEvent['object'] });
    expect(about('reviews')).to.deep.equal([]);
  });

  it('applies watch events, resumes a broken watch from the last resourceVersion, and lists again after 410 Gone', async () => {
    const api = new ScriptedApi();
    api.objects = [vs('reviews', '5'), vs('ratings', '6')];
    reflector = new Reflector(api, PATH, 'networking.istio.io/v1', 'VirtualService', quiet, 1, 0);
    await reflector.start();
    await eventually(async () => expect(api.watches).to.have.length(1), 5000, 5);
    const before = reflector.list();
    api.lastWatch().emit({ type: 'ADDED', object: vs('details', '101') as unknown as WatchEvent['object'] });
    api.lastWatch().emit({ type: 'DELETED', object: vs('ratings', '102') as unknown as WatchEvent['object'] });
    api.lastWatch().emit({ type: 'MODIFIED', object: { ...vs('reviews', '103'), spec: { hosts: ['reviews', 'x'] } } as unknown as WatchEvent['object'] });
    api.lastWatch().emit({ type: 'BOOKMARK', object: { metadata: { resourceVersion: '110' } } });
    expect(names(reflector)).to.deep.equal(['details', 'reviews']);
    expect(reflector.list()).to.not.equal(before); // a new array: the rule engine's indexes are keyed by it
    expect(reflector.list().find((o) => o.metadata.name === 'reviews')!.spec).to.deep.equal({ hosts: ['reviews', 'x'] });
    expect(reflector.list().find((o) => o.metadata.name === 'details')!.kind).to.equal('VirtualService');

    api.lastWatch().end(new ConnectionError('the watch broke'));
    await eventually(async () => expect(api.watches).to.have.length(2), 5000, 5);
    expect(api.lastWatch().path).to.match(/resourceVersion=110$/);
    expect(api.requests).to.have.length(1); // no list for a broken watch

    api.objects = [vs('productpage', '200')];
    api.listRv = '200';
    api.lastWatch().end(new ApiError(410, 'Expired', 'too old resource version: 110 (150)'));
    await eventually(async () => expect(api.watches).to.have.length(3), 5000, 5);
    expect([api.requests.length, names(reflector), api.lastWatch().path.endsWith('resourceVersion=200')]).to.deep.equal([2, ['productpage'], true]);
  });

  it('fresh() reads every page from the API server, not the cache', async () => {
    const api = new ScriptedApi();
    api.objects = [vs('reviews', '5')];
    reflector = new Reflector(api, PATH, 'networking.istio.io/v1', 'VirtualService', quiet, 1, 0);
    await reflector.start();
    api.objects = Array.from({ length: PAGE_SIZE + 1 }, (_, i) => vs(`n${i}`, '9'));
    expect((await reflector.fresh()).length).to.equal(PAGE_SIZE + 1);
    expect(names(reflector)).to.deep.equal(['reviews']);
  });

  it('the webhook is not ready while the API server cannot be reached at start, and is once both lists succeed', async () => {
    const api = new ScriptedApi();
    api.objects = [vs('reviews', '5')];
    api.failLists = 4; // the first lists of both caches fail (each cache retries on its own)
    const cache = istioCache(api, quiet);
    const server = buildServer({ cache, policy: () => DEFAULT_POLICY });
    const started = cache.start();
    await eventually(async () => expect(api.requests.length).to.be.at.least(2), 5000, 1);
    const early = await server.inject({ method: 'GET', url: '/readyz' });
    expect([early.statusCode, early.body]).to.deep.equal([503, 'not ready: caches not synced\n']);
    expect(cache.virtualServices()).to.deep.equal([]);
    await eventually(async () => expect((await server.inject({ method: 'GET', url: '/readyz' })).statusCode).to.equal(200), 10_000, 20);
    await started;
    expect(cache.virtualServices().map((o) => o.metadata.name)).to.deep.equal(['reviews']);
    await cache.stop();
  });
});
