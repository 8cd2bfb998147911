// Envoy compiles Istio's regex matches with RE2, so validity is judged by an RE2 implementation,
// not JavaScript's RegExp (which accepts lookbehind and backreferences that Envoy rejects).
import { RE2JS } from 're2js';
import { memoized } from './memo.js';

export const MAX_REGEX_LENGTH = 1024;

/** undefined when the pattern is acceptable to Istio, else the reason it is not (remembered: compiling is the costly part). */
export const re2Problem: (pattern: string) => string | undefined = memoized(judge);

function judge(pattern: string): string | undefined {
  if (pattern.length === 0) return 'the regex is empty';
  if (pattern.length > MAX_REGEX_LENGTH) return `the regex is ${pattern.length} characters, more than Istio's ${MAX_REGEX_LENGTH}`;
  try {
    RE2JS.compile(pattern);
    return undefined;
  } catch (err) {
    return `"${pattern}" is not valid RE2: ${(err as Error).message}`;
  }
}

/** Quotes every RE2 metacharacter so a literal value can sit inside a larger regex. */
export function re2Quote(literal: string): string {
  return literal.replace(/[\\.+*?()|[\]{}^$]/g, '\\$&');
}

export function re2Matches(pattern: string, input: string): boolean {
  return RE2JS.compile(pattern).matcher(input).find();
}
