// Verdicts on strings the webhook is handed again and again and that cost to judge: every review of a
// VirtualService repeats the regexes of the last one, and compiling one with RE2 costs 26-56 µs.

/** `judge` remembered by its argument, for at most `max` arguments (then forgotten all at once). */
export function memoized<T>(judge: (text: string) => T, max = 2048): (text: string) => T {
  const verdicts = new Map<string, T>();
  return (text) => {
    const known = verdicts.get(text);
    if (known !== undefined || verdicts.has(text)) return known as T;
    const verdict = judge(text);
    if (verdicts.size >= max) verdicts.clear();
    verdicts.set(text, verdict);
    return verdict;
  };
}
