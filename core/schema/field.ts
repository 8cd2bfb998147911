// The notation every finding uses for a field, kept apart from the schema validators (a large generated module)
// so that what needs only the notation (the webhook's shape check) does not load them.

/** ["spec", "http", 0] → "spec.http[0]". */
export function fieldOf(segments: ReadonlyArray<string | number>): string {
  let out = '';
  for (const s of segments) out += typeof s === 'number' ? `[${s}]` : out ? `.${s}` : s;
  return out;
}

/** A JSON pointer ("/spec/http/0") as segments; digits become indexes, as Ajv writes array positions. */
export function segmentsOf(pointer: string): Array<string | number> {
  if (!pointer) return [];
  return pointer.slice(1).split('/').map((p) => p.replace(/~1/g, '/').replace(/~0/g, '~')).map((p) => (/^\d+$/.test(p) ? Number(p) : p));
}

/** The value at those segments, or undefined where the path leaves the value. */
export function valueAt(root: unknown, segments: ReadonlyArray<string | number>): unknown {
  let cur = root;
  for (const s of segments) cur = cur && typeof cur === 'object' ? (cur as Record<string | number, unknown>)[s] : undefined;
  return cur;
}
