// A command line read without yargs, for a command that declares it may be (analyze, which CI runs per file):
// loading yargs, declaring the commands and parsing cost ~5 ms of a ~35 ms start-up. Only a line with nothing to
// decide is taken: the verb first, then plain words (the positionals) and the command's or the global string
// flags, each once, as --flag VALUE, --flag=VALUE or -f VALUE, and --no-color. Anything else (help, an unknown,
// repeated or empty flag, a value starting with "-", "--", no word at all) is left to yargs, to parse or to
// explain; test/unit/quick-args.test.ts requires the same output both ways.

/** What a command tells the quick reader: its words and its string flags (those of plugin/options.ts are added). */
export interface QuickArgs {
  /** The variadic positional the words go to (`analyze <files..>`: files); at least one word is needed. */
  words: string;
  /** String flags: long name -> one-letter alias ('' for none). */
  strings: Record<string, string>;
  /** Values yargs would default to. */
  defaults?: Record<string, string>;
}

/** The global string flags of withConnectionFlags (plugin/options.ts), with their aliases. */
const GLOBAL_STRINGS: Record<string, string> = { kubeconfig: '', context: '', namespace: 'n' };

/**
 * args (verb first) as yargs would give them to the command, or undefined when yargs must read them.
 * A lone "-" becomes stdinWord, as it does on the way through yargs (plugin/cli.ts).
 */
export function readQuickArgs(args: readonly string[], verb: string, spec: QuickArgs, stdinWord: string): Record<string, unknown> | undefined {
  if (args[0] !== verb) return undefined;
  const flagNames = new Map<string, string>();
  for (const [long, short] of Object.entries({ ...GLOBAL_STRINGS, ...spec.strings })) {
    flagNames.set(`--${long}`, long);
    if (short) flagNames.set(`-${short}`, long);
  }
  const argv: Record<string, unknown> = { ...spec.defaults };
  const given = new Set<string>();
  const words: string[] = [];
  for (let i = 1; i < args.length; i++) {
    const arg = args[i]!;
    if (arg === '-') words.push(stdinWord);
    else if (!arg.startsWith('-')) {
      if (arg === '') return undefined;
      words.push(arg);
    } else if (arg === '--no-color') {
      if (given.has(arg)) return undefined;
      given.add(arg);
      argv['no-color'] = true;
    } else {
      const eq = arg.startsWith('--') ? arg.indexOf('=') : -1;
      const name = flagNames.get(eq > 0 ? arg.slice(0, eq) : arg);
      if (name === undefined || given.has(name)) return undefined;
      const value = eq > 0 ? arg.slice(eq + 1) : args[++i];
      if (value === undefined || value === '' || value.startsWith('-')) return undefined;
      given.add(name);
      argv[name] = value;
    }
  }
  if (words.length === 0) return undefined;
  argv[spec.words] = words;
  return argv;
}
