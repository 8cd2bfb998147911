// The notation every finding uses for a field, kept apart from the schema validators (a large generated module)
// so that what needs only the notation (the webhook's shape check) does not load them.

/** ["spec", "http", 0] → "spec.http[0]". */
export function fieldOf(segments: ReadonlyArray<string | number>): string {
  let out = '';
  for (const s of segments) out += typeof s === 'number' ? `[${s}]` : out ? `.${s}` : s;
  return out;
}
