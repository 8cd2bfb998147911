// Durations as Istio's objects write them: Go's time.ParseDuration syntax ("1h30m", "1.5s", "250ms"), which is
// what the CRDs' CEL duration() and istiod's JSON decoding both accept.

const UNITS: Record<string, number> = { ns: 1e-6, us: 1e-3, 'µs': 1e-3, 'μs': 1e-3, ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/** Milliseconds (possibly fractional), or undefined when the text is not a Go duration. */
export function parseDuration(text: string): number | undefined {
  if (typeof text !== 'string') return undefined;
  let rest = text;
  let sign = 1;
  if (rest.startsWith('-') || rest.startsWith('+')) {
    sign = rest.startsWith('-') ? -1 : 1;
    rest = rest.slice(1);
  }
  if (rest === '0') return 0;
  if (rest === '') return undefined;
  let total = 0;
  // Micro in both spellings, µ (U+00B5) and μ (U+03BC), escaped: one character outside Latin-1 in the bundle
  // makes V8 hold the plugin's whole source as a two-byte string (twice the snapshot heap it needs).
  const part = /^(\d+(?:\.\d*)?|\.\d+)(ns|us|\u00b5s|\u03bcs|ms|s|m|h)/;
  while (rest.length > 0) {
    const m = part.exec(rest);
    if (!m) return undefined;
    total += Number(m[1]) * UNITS[m[2]!]!;
    rest = rest.slice(m[0].length);
  }
  return sign * total;
}

/** Istio's rule for a duration: at least 1ms, and a whole number of milliseconds. undefined when fine. */
export function durationProblem(text: unknown): string | undefined {
  return typeof text === 'string' ? knownDurationProblem(text) : undefined; // the schema reports the type
}

const knownDurationProblem = (text: string): string | undefined => {
  const ms = parseDuration(text);
  if (ms === undefined) return `"${text}" is not a duration`;
  if (ms < 1) return `${text} is shorter than 1ms`;
  if (Math.abs(ms - Math.round(ms)) > 1e-9) return `${text} is not a whole number of milliseconds`;
  return undefined;
};
