// Shell completion in cobra's protocol, the one kubectl speaks with its plugins: kubectl (>= 1.26) runs
// `kubectl_complete-gray` with the words typed after `kubectl gray`, the last one being the word under the
// cursor, and reads one candidate per line (`VALUE<TAB>DESCRIPTION`), then `:DIRECTIVE`.
// The words are read against the commands' own declarations (their yargs builders, recorded below), so a new
// flag or positional completes without being listed twice.
import type { Argv } from 'yargs';
import type { GrayCommand } from './command.js';
import type { ConnectionFlags } from './kube/config.js';
import { withConnectionFlags } from './options.js';

/** cobra's ShellCompDirective bits. */
export const DIRECTIVE = { default: 0, error: 1, noSpace: 2, noFileComp: 4 } as const;

export interface Candidate { value: string; description?: string }
export interface Completion { candidates: Candidate[]; directive: number }

/** Where live names come from; each may fail (no cluster, no permission): then it offers nothing. */
export interface NameSource {
  namespaces(flags: ConnectionFlags): Promise<string[]>;
  contexts(flags: ConnectionFlags): Promise<string[]>;
  /** Services that some VirtualService in the namespace sends traffic to (short names). */
  services(flags: ConnectionFlags): Promise<string[]>;
  /** The subsets DestinationRules define for the service. */
  subsets(flags: ConnectionFlags, service: string): Promise<string[]>;
}

interface FlagSpec { name: string; alias?: string; describe: string; boolean: boolean; choices?: string[] }
interface PositionalSpec { name: string; variadic: boolean; choices?: string[] }
export interface CommandSpec { verb: string; describe: string; positionals: PositionalSpec[]; flags: FlagSpec[] }

export type CommandDeclaration = Pick<GrayCommand, 'command' | 'describe' | 'builder'>;

/** Runs a command's builder against a recorder that keeps what it declares and ignores everything else. */
export function describeCommand(command: CommandDeclaration): CommandSpec {
  const [verb, ...rest] = command.command.split(' ');
  const positionals: PositionalSpec[] = rest.map((token) => ({ name: token.replace(/[<>[\].]/g, ''), variadic: token.includes('..') }));
  return { verb: verb!, describe: command.describe, positionals, flags: recordFlags(command.builder, positionals) };
}

/** The flags `builder` declares (and the choices of the positionals given). */
function recordFlags(builder: (y: Argv) => unknown, positionals: PositionalSpec[] = []): FlagSpec[] {
  const flags: FlagSpec[] = [];
  type Declared = { alias?: string | string[]; describe?: string; type?: string; choices?: unknown[] };
  const recorder: unknown = new Proxy({}, {
    get: (_target, method) => (...args: unknown[]) => {
      const [name, options = {}] = args as [string, Declared];
      const choices = options.choices?.map(String);
      if (method === 'option' || method === 'options') {
        const alias = Array.isArray(options.alias) ? options.alias[0] : options.alias;
        flags.push({ name, alias, describe: options.describe ?? '', boolean: options.type === 'boolean', choices });
      } else if (method === 'positional') {
        const p = positionals.find((x) => x.name === name);
        if (p && choices) p.choices = choices;
      }
      return recorder;
    },
  });
  builder(recorder as Argv);
  return flags;
}

/** The flags every command has: the connection flags (plugin/options.ts), and yargs' --help. */
const GLOBAL_FLAGS: FlagSpec[] = [
  ...recordFlags((y) => withConnectionFlags(y)),
  { name: 'help', alias: 'h', describe: 'Show help', boolean: true },
];

/** What kind of name a flag's value or a positional is, by its name (the same names in every command). */
function liveKind(name: string): 'namespaces' | 'contexts' | 'services' | 'subsets' | 'weights' | 'files' | undefined {
  if (name === 'namespace') return 'namespaces';
  if (name === 'context') return 'contexts';
  if (name === 'service') return 'services';
  if (name === 'subset' || name === 'to' || name === 'base') return 'subsets';
  if (name === 'weights') return 'weights';
  if (name === 'kubeconfig' || name === 'files' || name === 'policy' || name === 'file') return 'files';
  return undefined;
}

/** The values a flag documents as "a|b|c" (-o's formats) when it declares no choices; "jsonpath=TEMPLATE" offers "jsonpath=". */
function documentedValues(flag: FlagSpec): string[] | undefined {
  if (flag.choices) return flag.choices;
  const listed = /\b([a-z]+(?:\|[a-z]+)+)(=TEMPLATE)?/.exec(flag.describe);
  if (!listed) return undefined;
  const values = listed[1]!.split('|');
  if (listed[2]) values[values.length - 1] += '=';
  return values;
}

/**
 * The candidates for the last word of `words` (everything typed after `kubectl gray`), with cobra's directive.
 * Live names are asked for only when the word in question is one.
 */
export async function complete(words: readonly string[], specs: readonly CommandSpec[], names: NameSource): Promise<Completion> {
  const current = words.length > 0 ? words[words.length - 1]! : '';
  const before = words.slice(0, -1);
  const none: Completion = { candidates: [], directive: DIRECTIVE.noFileComp };
  const verbIndex = findVerb(before);
  if (verbIndex < 0) {
    if (current.startsWith('-')) return flagCandidates(GLOBAL_FLAGS, before, current);
    return { candidates: specs.filter((s) => s.verb.startsWith(current)).map((s) => ({ value: s.verb, description: s.describe })), directive: DIRECTIVE.noFileComp };
  }
  const spec = specs.find((s) => s.verb === before[verbIndex]);
  if (!spec) return none;
  const flags = [...spec.flags, ...GLOBAL_FLAGS.filter((g) => !spec.flags.some((f) => f.name === g.name))];
  const byWord = (word: string) => flags.find((f) => word === `--${f.name}` || (f.alias !== undefined && word === `-${f.alias}`));

  // Walk the words before the cursor: the connection flags given, the positionals filled, a flag awaiting its value.
  const given: ConnectionFlags & Record<string, string | undefined> = {};
  const positionals: string[] = [];
  let awaiting: FlagSpec | undefined;
  // Flags may come before the command too (kubectl gray -n shop switch ...); positionals only after it.
  for (const [i, word] of before.entries()) {
    if (i === verbIndex) continue;
    if (awaiting) {
      given[awaiting.name] = word;
      awaiting = undefined;
    } else if (word.startsWith('-') && word !== '-') {
      const eq = word.indexOf('=');
      const flag = byWord(eq > 0 ? word.slice(0, eq) : word);
      if (flag && eq > 0) given[flag.name] = word.slice(eq + 1);
      else if (flag && !flag.boolean) awaiting = flag;
    } else if (i > verbIndex) {
      positionals.push(word);
    }
  }
  const connection: ConnectionFlags = { kubeconfig: given['kubeconfig'], context: given['context'], namespace: given['namespace'], as: given['as'] };

  if (awaiting) return valueCandidates(awaiting.name, documentedValues(awaiting), current, connection, positionals, names);
  if (current.startsWith('--') && current.includes('=')) {
    const eq = current.indexOf('=');
    const flag = byWord(current.slice(0, eq));
    if (!flag || flag.boolean) return none;
    const values = await valueCandidates(flag.name, documentedValues(flag), current.slice(eq + 1), connection, positionals, names);
    return { ...values, candidates: values.candidates.map((c) => ({ ...c, value: `${current.slice(0, eq + 1)}${c.value}` })) };
  }
  if (current.startsWith('-')) return flagCandidates(flags, before, current);
  const last = spec.positionals[spec.positionals.length - 1];
  const positional = spec.positionals[positionals.length] ?? (last?.variadic ? last : undefined);
  if (!positional) return none;
  return valueCandidates(positional.name, positional.choices, current, connection, positionals, names);
}

/** The index of the command word: the first word that is neither a flag nor the value of a global flag. */
function findVerb(words: readonly string[]): number {
  for (let i = 0; i < words.length; i++) {
    const word = words[i]!;
    if (!word.startsWith('-')) return i;
    const flag = GLOBAL_FLAGS.find((f) => word === `--${f.name}` || (f.alias !== undefined && word === `-${f.alias}`));
    if (flag && !flag.boolean) i++;
  }
  return -1;
}

function flagCandidates(flags: readonly FlagSpec[], before: readonly string[], current: string): Completion {
  const used = new Set(before.map((w) => w.split('=')[0]));
  const candidates: Candidate[] = [];
  for (const f of flags) {
    const long = `--${f.name}`;
    if (used.has(long) || (f.alias && used.has(`-${f.alias}`))) continue;
    if (long.startsWith(current)) candidates.push({ value: long, description: f.describe });
    else if (f.alias && `-${f.alias}` === current) candidates.push({ value: current, description: f.describe });
  }
  return { candidates, directive: DIRECTIVE.noFileComp };
}

async function valueCandidates(
  name: string, choices: string[] | undefined, current: string, connection: ConnectionFlags, positionals: readonly string[], names: NameSource,
): Promise<Completion> {
  const matching = (values: readonly string[]): Candidate[] => [...new Set(values)].filter((v) => v.startsWith(current)).sort().map((value) => ({ value }));
  if (choices) {
    const candidates = matching(choices);
    // A value still to be completed by hand (jsonpath=...) takes no space after it.
    return { candidates, directive: DIRECTIVE.noFileComp | (candidates.some((c) => c.value.endsWith('=')) ? DIRECTIVE.noSpace : 0) };
  }
  const kind = liveKind(name);
  if (kind === 'files') return { candidates: [], directive: DIRECTIVE.default };
  if (!kind) return { candidates: [], directive: DIRECTIVE.noFileComp };
  const service = positionals[0];
  const ask = async (): Promise<string[]> => {
    if (kind === 'namespaces') return names.namespaces(connection);
    if (kind === 'contexts') return names.contexts(connection);
    if (kind === 'services') return names.services(connection);
    return service ? names.subsets(connection, service) : [];
  };
  let found: string[];
  try {
    found = await ask();
  } catch {
    return { candidates: [], directive: DIRECTIVE.noFileComp }; // no cluster, no permission: nothing to offer
  }
  if (kind === 'weights') {
    // SUBSET=PERCENT: the subset, then the user types the number.
    const taken = new Set(positionals.slice(1).map((w) => w.split('=')[0]));
    return { candidates: matching(found.filter((s) => !taken.has(s)).map((s) => `${s}=`)), directive: DIRECTIVE.noSpace | DIRECTIVE.noFileComp };
  }
  return { candidates: matching(found), directive: DIRECTIVE.noFileComp };
}

/** cobra's output: a line per candidate (with its description unless asked not to), then the directive. */
export function renderCompletion(result: Completion, descriptions: boolean): string {
  const lines = result.candidates.map((c) => (descriptions && c.description ? `${c.value}\t${c.description.split('\n')[0]}` : c.value));
  return `${[...lines, `:${result.directive}`].join('\n')}\n`;
}
