// The label selectors the plugin sends, as the API server reads them: requirements "key", "!key", "key=value" and
// "key notin (a,b)", all of which must hold, joined by commas outside parentheses.
export function selects(selector: string | null | undefined, labels: Record<string, string>): boolean {
  return (selector ?? '').split(/,(?![^(]*\))/).map((r) => r.trim()).filter(Boolean).every((r) => {
    const notIn = /^(\S+)\s+notin\s+\(([^)]*)\)$/.exec(r);
    if (notIn) return !notIn[2]!.split(',').map((v) => v.trim()).includes(labels[notIn[1]!] ?? '\0');
    if (r.startsWith('!')) return !(r.slice(1) in labels);
    const [key, value] = r.split('=');
    return value === undefined ? key! in labels : labels[key!] === value;
  });
}
