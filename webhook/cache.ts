// In-memory caches of VirtualServices and DestinationRules, kept by client-node informers (list, then
// watch). Admission reads them; it never calls the API server per request.
import { CustomObjectsApi, type KubeConfig, makeInformer } from '@kubernetes/client-node';
import type { DestinationRule, KubeObject, VirtualService } from '../core/model.js';
import type { IstioSnapshot } from './admission/handlers.js';

export interface IstioCache extends IstioSnapshot {
  synced(): boolean;
  start(): Promise<void>;
  stop(): Promise<void>;
}

interface Logger { warn(obj: object, msg: string): void; info(obj: object, msg: string): void }

/** FNV-1a over namespace/name@resourceVersion of each object, combined by addition: the same set gives the same number in any order. */
export function cacheDigest(objects: readonly KubeObject[]): number {
  let sum = 0;
  for (const o of objects) {
    const key = `${o.metadata?.namespace ?? ''}/${o.metadata?.name ?? ''}@${o.metadata?.resourceVersion ?? ''}`;
    let h = 0x811c9dc5;
    for (let i = 0; i < key.length; i++) h = Math.imul(h ^ key.charCodeAt(i), 0x01000193);
    sum = (sum + (h >>> 0)) % 4294967296;
  }
  return sum;
}

/** A fixed snapshot: for tests and the benchmark. */
export function staticCache(virtualServices: VirtualService[], destinationRules: DestinationRule[]): IstioCache {
  return {
    virtualServices: () => virtualServices,
    destinationRules: () => destinationRules,
    synced: () => true,
    start: async () => undefined,
    stop: async () => undefined,
  };
}

export function informerCache(kc: KubeConfig, log: Logger, version = 'v1'): IstioCache & { freshVirtualServices(): Promise<VirtualService[]> } {
  const api = kc.makeApiClient(CustomObjectsApi);
  const group = 'networking.istio.io';
  const make = <T extends KubeObject>(plural: string, kind: string) => {
    const listFn = async () => {
      const list = await api.listClusterCustomObject({ group, version, plural });
      // List items carry no apiVersion/kind; the rules need them to recognise and name objects.
      for (const item of list.items ?? []) {
        item.apiVersion ??= `${group}/${version}`;
        item.kind ??= kind;
      }
      return list;
    };
    const informer = makeInformer<T & { metadata: { name: string } }>(kc, `/apis/${group}/${version}/${plural}`, listFn);
    let synced = false;
    // One array per state of the cache: the rule engine indexes it once, keyed by identity.
    let snapshot: T[] | undefined;
    const invalidate = () => { snapshot = undefined; };
    informer.on('add', invalidate);
    informer.on('update', invalidate);
    informer.on('delete', invalidate);
    informer.on('error', (err: unknown) => {
      // client-node's informer stops on a watch error; start it again, with a pause so a dead API
      // server is not hammered.
      log.warn({ plural, err: String((err as Error)?.message ?? err) }, 'informer error, restarting');
      setTimeout(() => { informer.start().catch(() => undefined); }, 1000).unref();
    });
    return {
      informer,
      fresh: async () => (await listFn()).items as unknown as T[],
      list: () => (snapshot ??= informer.list() as unknown as T[]),
      synced: () => synced,
      async start() { await informer.start(); synced = true; log.info({ plural, count: informer.list().length }, 'cache synced'); },
    };
  };
  const vs = make<VirtualService>('virtualservices', 'VirtualService');
  const dr = make<DestinationRule>('destinationrules', 'DestinationRule');
  return {
    virtualServices: () => vs.list(),
    freshVirtualServices: () => vs.fresh(),
    destinationRules: () => dr.list(),
    synced: () => vs.synced() && dr.synced(),
    async start() { await Promise.all([vs.start(), dr.start()]); },
    async stop() { await Promise.all([vs.informer.stop(), dr.informer.stop()]); },
  };
}
