// Runs the real kubectl (the harness's, same version as the server) with bin/ on PATH, so that
// `kubectl gray ...` goes through kubectl's own plugin discovery, as it does for a user.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT } from './fixtures.js';

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
        PATH: `${join(ROOT, 'bin')}:${clusterBin}:${process.env['PATH']}`,
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

export async function apply(namespace: string, yaml: string): Promise<void> {
  const r = await kubectl(['apply', '-n', namespace, '-f', '-'], { input: yaml });
  if (r.code !== 0) throw new Error(`apply failed: ${r.stderr}`);
}

export async function getJson<T>(namespace: string, ...what: string[]): Promise<T> {
  return JSON.parse(await k('get', '-n', namespace, ...what, '-o', 'json')) as T;
}

let counter = 0;
/** A fresh namespace per test: the local control plane has no namespace controller to delete them. */
export async function freshNamespace(prefix: string): Promise<string> {
  const name = `${prefix}-${process.pid}-${++counter}`;
  await k('create', 'namespace', name);
  return name;
}

/** Pods for the Bookinfo Deployments, with Ready written through the status subresource. */
export async function makePods(namespace: string, pods: Array<{ name: string; labels: Record<string, string>; ready: boolean }>): Promise<void> {
  for (const p of pods) {
    await apply(namespace, JSON.stringify({
      apiVersion: 'v1', kind: 'Pod', metadata: { name: p.name, labels: p.labels },
      spec: { containers: [{ name: 'app', image: 'example.invalid/app:1' }] },
    }));
    if (p.ready) {
      await k('patch', 'pod', p.name, '-n', namespace, '--subresource=status', '--type=merge',
        '-p', JSON.stringify({ status: { conditions: [{ type: 'Ready', status: 'True' }] } }));
    }
  }
}

export { eventually } from './wait.js';

/** Where the harness keeps the running control plane's state (pids, logs, ports). */
export const CLUSTER_DIR = process.env['CLUSTER_DIR'] ?? join(ROOT, '.cluster');
export const CLUSTER_SCRIPTS = join(ROOT, 'test', 'cluster');
