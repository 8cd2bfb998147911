// The label selectors the plugin sends, as the API server reads them: requirements "key", "!key" and "key=value",
// all of which must hold, joined by commas.
export function selects(selector: string | null | undefined, labels: Record<string, string>): boolean {
  return (selector ?? '').split(',').filter(Boolean).every((r) => {
    if (r.startsWith('!')) return !(r.slice(1) in labels);
    const [key, value] = r.split('=');
    return value === undefined ? key! in labels : labels[key!] === value;
  });
}
