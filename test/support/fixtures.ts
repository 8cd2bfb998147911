import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { DestinationRule, KubeObject, VirtualService } from '../../core/model.js';
import { readYaml } from '../../core/yaml.js';

/** The repository root, from dist/test/support/ or test/support/. */
export const ROOT = (() => {
  const here = dirname(fileURLToPath(import.meta.url));
  return here.includes(`${join('dist', 'test')}`) ? join(here, '..', '..', '..') : join(here, '..', '..');
})();

export function fixturePath(name: string): string {
  return join(ROOT, 'test', 'fixtures', name);
}

export function loadFixture(name: string, namespace = 'default'): KubeObject[] {
  return (readYaml(readFileSync(fixturePath(name), 'utf8')) as KubeObject[])
    .filter(Boolean)
    .map((o) => ({ ...o, metadata: { ...o.metadata, namespace: o.metadata.namespace ?? namespace } }));
}

export function bookinfo(namespace = 'default') {
  const objects = loadFixture('bookinfo.yaml', namespace);
  const vs = (name: string) => objects.find((o) => o.kind === 'VirtualService' && o.metadata.name === name) as VirtualService;
  const dr = (name: string) => objects.find((o) => o.kind === 'DestinationRule' && o.metadata.name === name) as DestinationRule;
  return {
    objects,
    reviews: vs('reviews'),
    ratings: vs('ratings'),
    reviewsRule: dr('reviews'),
    destinationRules: objects.filter((o) => o.kind === 'DestinationRule') as DestinationRule[],
    virtualServices: objects.filter((o) => o.kind === 'VirtualService') as VirtualService[],
  };
}

/** A VirtualService for `host` whose catch-all route has the given subset weights. */
export function weightedVs(weights: Record<string, number>, extra: Partial<VirtualService['spec']> = {}): VirtualService {
  return {
    apiVersion: 'networking.istio.io/v1',
    kind: 'VirtualService',
    metadata: { name: 'reviews', namespace: 'default' },
    spec: {
      hosts: ['reviews'],
      ...extra,
      http: [{ route: Object.entries(weights).map(([subset, weight]) => ({ destination: { host: 'reviews', subset }, weight })) }],
    },
  };
}
