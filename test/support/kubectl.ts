// Runs the real kubectl (the harness's, same version as the server) with krew's bin folder on PATH, so that
// `kubectl gray ...` goes through kubectl's own plugin discovery to the executable krew installed, as it does
// for a user (test/support/krew.ts; the suite's root hook installs it first).
import { spawn } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT } from './fixtures.js';
import { KREW_BIN, KREW_ENV } from './krew.js';
import { tempDir } from './temp.js';
import { eventually } from './wait.js';

export interface Result {
  code: number;
  stdout: string;
  stderr: string;
}

const clusterBin = join(ROOT, 'test', 'cluster', 'bin');
export const KUBECTL = existsSync(join(clusterBin, 'kubectl')) ? join(clusterBin, 'kubectl') : 'kubectl';
export const KUBECONFIG = process.env['KUBECONFIG'] ?? join(ROOT, '.cluster', 'kubeconfig');

export function kubectl(args: string[], options: { input?: string; env?: Record<string, string> } = {}): Promise<Result> {
  return new Promise((resolve, reject) => {
    const child = spawn(KUBECTL, args, {
      env: {
        ...process.env,
        KUBECONFIG,
        ...KREW_ENV,
        PATH: `${KREW_BIN}:${clusterBin}:${process.env['PATH']}`,
        ...options.env,
      },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => { stdout += d; });
    child.stderr.on('data', (d) => { stderr += d; });
    child.on('error', reject);
    child.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr }));
    child.stdin.end(options.input ?? '');
  });
}

/** kubectl that must succeed; its stdout. */
export async function k(...args: string[]): Promise<string> {
  const r = await kubectl(args);
  if (r.code !== 0) throw new Error(`kubectl ${args.join(' ')} exited ${r.code}: ${r.stderr}`);
  return r.stdout;
}

/** kubectl apply into `namespace`; undefined when every object names its own namespace. */
export async function apply(namespace: string | undefined, yaml: string): Promise<void> {
  const r = await kubectl(['apply', ...(namespace ? ['-n', namespace] : []), '-f', '-'], { input: yaml });
  if (r.code !== 0) throw new Error(`apply failed: ${r.stderr}`);
}

export async function getJson<T>(namespace: string, ...what: string[]): Promise<T> {
  return JSON.parse(await k('get', '-n', namespace, ...what, '-o', 'json')) as T;
}

/**
 * A kubeconfig for a ServiceAccount made in `namespace` (a real identity with a token from the API server, holding
 * whatever RBAC the test binds to `system:serviceaccount:NAMESPACE:NAME`), with the admin's server and CA.
 */
export async function serviceAccountKubeconfig(namespace: string, name: string): Promise<string> {
  await k('create', 'serviceaccount', name, '-n', namespace);
  const token = (await k('create', 'token', name, '-n', namespace, '--duration=1h')).trim();
  const config = JSON.parse(await k('config', 'view', '--minify', '--raw', '-o', 'json'));
  config.users = [{ name, user: { token } }];
  config.contexts[0].context.user = name;
  config.contexts[0].context.namespace = namespace;
  const file = join(tempDir('kubeconfig'), `${namespace}-${name}`);
  writeFileSync(file, JSON.stringify(config), { mode: 0o600 });
  return file;
}

let counter = 0;
const created: string[] = [];
/**
 * A fresh namespace per test, ready for pods: the controller manager gives it its default ServiceAccount
 * a moment after creation, and until then the ReplicaSet controller's pod creations fail and back off.
 */
export async function freshNamespace(prefix: string): Promise<string> {
  const name = `${prefix}-${process.pid}-${++counter}`;
  await k('create', 'namespace', name);
  created.push(name);
  await eventually(() => k('get', 'serviceaccount', 'default', '-n', name), 60_000, 200);
  return name;
}

/** Deletes the namespaces made since the last call, without waiting: their pods stop in the background. */
export async function deleteFreshNamespaces(): Promise<void> {
  const names = created.splice(0);
  if (names.length > 0) await k('delete', 'namespace', '--wait=false', '--ignore-not-found', ...names);
}

interface PodJson { metadata: { name: string }; status: { podIP?: string; phase?: string; conditions?: Array<{ type: string; status: string }> } }

const isReady = (p: PodJson) => p.status.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false;

/** The pods matching `selector`, as the kubelet reports them. */
export async function pods(namespace: string, selector: string): Promise<PodJson[]> {
  return (JSON.parse(await k('get', 'pods', '-n', namespace, '-l', selector, '-o', 'json')) as { items: PodJson[] }).items;
}

/**
 * Waits until exactly `count` pods match `selector` and every one is Ready (or, with ready=false, none is).
 * Real pods on the node: scheduling, the sandbox, the image and the readiness probe take 1-4 s idle and
 * much longer on a busy 2-core machine, hence the deadline.
 */
export async function waitForPods(namespace: string, selector: string, count: number, ready = true, timeoutMs = 120_000): Promise<PodJson[]> {
  return eventually(async () => {
    const found = (await pods(namespace, selector)).filter((p) => p.status.phase !== 'Succeeded' && p.status.phase !== 'Failed');
    if (found.length !== count || !found.every((p) => isReady(p) === ready)) {
      throw new Error(`pods ${selector} in ${namespace}: want ${count} ${ready ? 'ready' : 'unready'}, have ${found.map((p) => `${p.metadata.name}:${isReady(p) ? 'ready' : 'not ready'}`).join(', ') || 'none'}`);
    }
    return found;
  }, timeoutMs, 250);
}

/** Flips the test workload's readiness switch in each matching pod; its real readiness probe then fails or passes. */
export async function setReadiness(namespace: string, selector: string, ready: boolean): Promise<void> {
  for (const p of await pods(namespace, selector)) {
    if (!p.status.podIP) throw new Error(`pod ${namespace}/${p.metadata.name} has no IP yet`);
    const res = await fetch(`http://${p.status.podIP}:8080/ready?state=${ready ? 'on' : 'off'}`, { method: 'POST' });
    if (!res.ok) throw new Error(`pod ${namespace}/${p.metadata.name}: readiness switch answered ${res.status}`);
  }
}

export { eventually } from './wait.js';

/** Where the harness keeps the running control plane's state (pids, logs, ports). */
export const CLUSTER_DIR = process.env['CLUSTER_DIR'] ?? join(ROOT, '.cluster');
export const CLUSTER_SCRIPTS = join(ROOT, 'test', 'cluster');
