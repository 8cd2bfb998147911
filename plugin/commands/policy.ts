// kubectl gray policy explain | test: the admin policy before a write. `explain` says which policies apply in a
// namespace, the limits they add up to, the freeze windows now and next (in the window's zone and the user's),
// whether the caller is exempt, and for a service when its weights may change next. `test` runs a command offline
// (a client-side dry run) under policy files instead of the cluster's, at a time of your choosing.
import { IntentError } from '../../core/errors.js';
import { type Occurrence, describeWindow, freezeAt, inZone, nextFreeze, zoneOf } from '../../core/freeze-windows.js';
import { describeObject, isVirtualService } from '../../core/model.js';
import { type Policy, type PolicyObject, type Requester, exemptionFor, parsePolicyDocuments, policyName } from '../../core/policy.js';
import { type RuleName, RULES } from '../../core/rules.js';
import { lastWeightChange } from '../../core/trusted-time.js';
import { readYaml } from '../../core/yaml.js';
import { PolicyBook } from '../admin-policy.js';
import { Reads, historyCarriers, serviceHosts } from '../apply.js';
import type { GrayCommand } from '../command.js';
import { type CommandContext, EXIT } from '../context.js';
import { type GlobalArgs, checkOutput } from '../options.js';
import { printObject } from '../render/mutation.js';
import { table } from '../render/table.js';

interface Args extends GlobalArgs { action: string; service?: string; filename?: string[]; at?: string; output?: string; _: unknown[] }

export const policyCommand: GrayCommand = {
  command: 'policy <action> [service]',
  describe: 'Explain the admin policy that applies here, or test a command against policy files before they are applied',
  builder: (y) => y
    .positional('action', { choices: ['explain', 'test'], describe: 'explain: what applies now; test: run a command under policy files' })
    .positional('service', { type: 'string', describe: 'explain: also when this service\'s weights may change next' })
    .option('filename', { alias: 'f', type: 'string', array: true, describe: 'test: ClusterGrayPolicy/GrayPolicy YAML files judged instead of the cluster\'s' })
    .option('at', { type: 'string', describe: 'Judge at this time (ISO 8601) instead of now' })
    .option('output', { alias: 'o', type: 'string', describe: 'explain: json|yaml' })
    .example('$0 policy explain -n shop reviews', 'the policies, limits, freezes and exemptions for changes to reviews')
    .example('$0 policy test -f prod-policy.yaml --at 2027-03-27T10:00:00+01:00 -- set-weight reviews v2=50 -n shop', 'would the new policy allow this release step then?'),
  async run(raw, ctx) {
    const args = raw as unknown as Args;
    const at = args.at === undefined ? undefined : Date.parse(args.at);
    if (at !== undefined && Number.isNaN(at)) throw new IntentError(`--at "${args.at}" is not an ISO 8601 time (e.g. 2027-03-27T10:00:00+01:00)`);
    const now = at === undefined ? ctx.now() : new Date(at);
    if (args.action === 'test') return test(args, ctx, now);
    return explain(args, ctx, now);
  },
};

async function test(args: Args, ctx: CommandContext, now: Date): Promise<number> {
  // What follows `--` stays unparsed, after the command's own name in argv._.
  const command = args._.slice(1).map(String);
  if (!args.filename?.length) throw new IntentError('policy test needs -f FILE (one or more ClusterGrayPolicy/GrayPolicy YAML files)');
  if (command.length === 0) throw new IntentError('policy test needs the command to judge after --, e.g. -- set-weight reviews v2=50');
  const objects: PolicyObject[] = [];
  for (const file of args.filename) {
    try {
      objects.push(...parsePolicyDocuments(readYaml(await ctx.readFile(file))));
    } catch (err) {
      throw new IntentError(`${file}: ${(err as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (err as Error).message}`);
    }
  }
  if (command.some((a) => a === '--dry-run' || a.startsWith('--dry-run='))) throw new IntentError('policy test always runs the command as --dry-run=client; leave --dry-run out');
  // The same command, judged by these policies at that time, written nowhere.
  const flags = connectionArgs(args);
  ctx.io.err(`Judged at ${now.toISOString()} by ${objects.map(policyName).join(', ') || 'no policy'} (from ${args.filename.join(', ')}); nothing is written.\n`);
  return ctx.runCommandLine!([...command, ...flags, '--dry-run=client'], { ...ctx, now: () => now, policyObjects: objects });
}

/** The connection flags given before `--`, passed on to the command under test. */
function connectionArgs(args: Args): string[] {
  const out: string[] = [];
  for (const key of ['kubeconfig', 'context', 'namespace', 'as', 'as-uid'] as const) if (args[key]) out.push(`--${key}`, String(args[key]));
  for (const g of args['as-group'] ?? []) out.push('--as-group', g);
  return out;
}

interface WindowReport { policy: string; window: string; zone: string; now?: Occurrence; next?: Occurrence }

async function explain(args: Args, ctx: CommandContext, now: Date): Promise<number> {
  const output = checkOutput(args.output, ['json', 'yaml']);
  const cluster = await ctx.connect(args);
  const ns = cluster.namespace;
  const book = await PolicyBook.read(cluster, [ns], ctx.policyObjects);
  const policy = book.policyFor(ns);
  const who = await cluster.whoAmI();
  const windows: WindowReport[] = policy.freezeWindows.map((w) => {
    const current = freezeAt(w, now);
    const next = nextFreeze(w, now);
    return { policy: w.policy ?? 'the policy file', window: describeWindow(w), zone: zoneOf(w), ...(current ? { now: current } : {}), ...(next ? { next } : {}) };
  });
  const exemptions = exemptionsOf(policy, who, now);
  const service = args.service ? await weightClock(cluster, args, ns, policy, now) : undefined;
  const report = {
    namespace: ns, at: now.toISOString(), policies: book.applicable(ns).map(policyName),
    limits: limitsOf(policy), rules: Object.fromEntries(Object.entries(policy.rules).map(([r, m]) => [r, { mode: m, policy: policy.sources?.[`rules.${r}`] }])),
    freezeWindows: windows, caller: who ?? null, exemptions, ...(service ? { service } : {}),
    ...(book.unreadable.length ? { unreadable: book.unreadable } : {}),
  };
  if (output) {
    printObject(ctx.io, report, output);
    return EXIT.ok;
  }
  const local = Intl.DateTimeFormat().resolvedOptions().timeZone;
  const when = (d: Date, zone: string) => (zone === local ? inZone(d, zone) : `${inZone(d, zone)} (${inZone(d, local)} here)`);
  const out: string[] = [];
  const partial = book.unreadable.length ? ` (you may not read ${book.unreadable.join(', ')}: the webhook applies them all the same)` : '';
  out.push(report.policies.length ? `Policies that apply in namespace ${ns}${partial}:` : `No admin policy you may read applies in namespace ${ns}${partial}.`);
  for (const p of report.policies) out.push(`  ${p}`);
  const indented = (text: string) => text.trimEnd().split('\n').map((l) => `  ${l}`);
  out.push('', 'Limits:');
  if (report.limits.length === 0) out.push('  none');
  else out.push(...indented(table(['LIMIT', 'VALUE', 'POLICY'], report.limits.map((l) => [l.limit, String(l.value), l.policy]))));
  const modes = Object.entries(report.rules);
  if (modes.length) {
    out.push('', 'Rule modes (others enforce):');
    out.push(...indented(table(['RULE', 'MODE', 'POLICY'], modes.map(([rule, m]) => [`${RULES[rule as RuleName].code} ${rule}`, m.mode, m.policy ?? '']))));
  }
  out.push('', 'Freeze windows:');
  if (windows.length === 0) out.push('  none');
  for (const w of windows) {
    out.push(`  ${w.window}, ${w.policy}`);
    if (w.now) out.push(`    FROZEN NOW, until ${when(w.now.end, w.zone)}`);
    if (w.next) out.push(`    next: ${when(w.next.start, w.zone)} to ${when(w.next.end, w.zone)}`);
  }
  out.push('', `Caller: ${who ? `${who.username} (groups: ${who.groups.join(', ') || 'none'})` : 'unknown (the API server did not say)'}`);
  if (policy.exemptions?.length) {
    if (exemptions.length === 0) out.push('  not exempt from any rule');
    for (const e of exemptions) out.push(`  exempt from ${e.rules.join(', ')} until ${e.expires} (${e.reason}), by ${e.policy}`);
  }
  if (service) {
    out.push('', `Service ${args.service}:`);
    for (const s of service) out.push(`  ${s.object}: ${s.lastChange ? `weights last changed ${s.lastChange}` : 'no weight change stamped yet'}${s.nextChange ? `; next weight change from ${s.nextChange}` : ''}`);
  }
  ctx.io.out(`${out.join('\n')}\n`);
  return EXIT.ok;
}

function limitsOf(policy: Policy): Array<{ limit: string; value: number | boolean | string; policy: string }> {
  const from = (k: string) => policy.sources?.[k] ?? '';
  const out: Array<{ limit: string; value: number | boolean | string; policy: string }> = [];
  if (policy.maxWeightStep !== undefined) out.push({ limit: 'maxWeightStep', value: policy.maxWeightStep, policy: from('maxWeightStep') });
  if (policy.minSecondsBetweenWeightChanges !== undefined) out.push({ limit: 'minSecondsBetweenWeightChanges', value: policy.minSecondsBetweenWeightChanges, policy: from('minSecondsBetweenWeightChanges') });
  if (policy.forbidZeroToHundred) out.push({ limit: 'forbidZeroToHundred', value: true, policy: from('forbidZeroToHundred') });
  if (policy.forbiddenNamespaces.length) out.push({ limit: 'forbiddenNamespaces', value: policy.forbiddenNamespaces.join(','), policy: from('forbiddenNamespaces') });
  return out;
}

function exemptionsOf(policy: Policy, who: Requester | undefined, now: Date) {
  const out = new Map<string, { rules: string[]; expires: string; reason: string; policy: string }>();
  for (const rule of Object.keys(RULES) as RuleName[]) {
    const e = exemptionFor(policy, rule, who, now);
    if (!e) continue;
    const key = `${e.policy}|${e.expires}|${e.reason}`;
    const entry = out.get(key) ?? { rules: [], expires: e.expires, reason: e.reason, policy: e.policy ?? '' };
    entry.rules.push(rule);
    out.set(key, entry);
  }
  return [...out.values()];
}

/** When each route to the service last changed its weights, and when the policy lets them change next. */
async function weightClock(cluster: Awaited<ReturnType<CommandContext['connect']>>, args: Args, ns: string, policy: Policy, now: Date) {
  const reads = new Reads(cluster, serviceHosts(args.service, ns));
  const carriers = await historyCarriers(reads, { service: args.service!, namespace: ns });
  return carriers.map((o) => {
    const last = isVirtualService(o) ? lastWeightChange(o) : undefined;
    const soak = policy.minSecondsBetweenWeightChanges;
    const next = last && soak !== undefined && last.getTime() + soak * 1000 > now.getTime() ? new Date(last.getTime() + soak * 1000).toISOString() : undefined;
    return { object: describeObject(o), ...(last ? { lastChange: last.toISOString() } : {}), ...(next ? { nextChange: next } : {}) };
  });
}
