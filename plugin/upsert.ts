// Create-or-update for the objects kubectl gray owns whole (a canary Deployment, a colouring
// EnvoyFilter): read, compare only what we set, write with the resourceVersion read, retry on conflict.
import type { KubeObject } from '../core/model.js';
import { retryOnConflict } from '../kube/retry.js';
import type { CommandContext } from './context.js';
import type { DryRun, GrayCluster, ObjectRef } from './kube/cluster.js';
import { printObject, printWrite } from './render/mutation.js';

export interface Upsert<T extends KubeObject> {
  ref: ObjectRef;
  /** "deployment.apps", for the result line. */
  kindGroup: string;
  desired: T;
  dryRun: DryRun;
  output?: 'yaml' | 'json' | 'name';
  /** What to write over an existing object: ours, keeping what the existing one holds that we do not set. */
  merge(existing: T): T;
  /** Whether the existing object already says what we want (the API server adds defaults: compare our part). */
  unchanged(existing: T): boolean;
  /** Throws when the existing object is not ours to change. */
  guard?(existing: T): void;
}

export async function upsertObject<T extends KubeObject>(ctx: CommandContext, cluster: GrayCluster, u: Upsert<T>): Promise<void> {
  await retryOnConflict(async () => {
    const existing = await cluster.get<T>(u.ref);
    if (existing) u.guard?.(existing);
    if (existing && u.unchanged(existing)) {
      printWrite(ctx.io, u.kindGroup, u.ref.name, 'unchanged', u.dryRun);
      return;
    }
    const body = existing ? u.merge(existing) : u.desired;
    const written = u.dryRun === 'client' ? body : (await cluster.write(u.ref, body, u.dryRun)).object;
    if (u.output === 'yaml' || u.output === 'json') printObject(ctx.io, written, u.output);
    else if (u.output === 'name') ctx.io.out(`${u.kindGroup}/${u.ref.name}\n`);
    else printWrite(ctx.io, u.kindGroup, u.ref.name, existing ? 'configured' : 'created', u.dryRun);
  });
}
