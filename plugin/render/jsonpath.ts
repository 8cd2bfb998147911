// `-o jsonpath=TEMPLATE` in kubectl's template syntax: text with {expressions} ({.spec.http[0].route},
// {.items[*].metadata.name}, {@}, filters [?(@.x=="y")]), {range EXPR}...{end} and {"literal"}. Each expression is
// evaluated with jsonpath-plus against the object -o json would print; several results are joined by a space, a
// string printed as it is and anything else as JSON; a key that is missing prints nothing, as in `kubectl get`.
import { JSONPath } from 'jsonpath-plus';
import { IntentError } from '../../core/errors.js';

type Part = { text: string } | { expr: string } | { range: string; body: Part[] };

/** The template's parts, or an IntentError naming what is wrong with it (an unclosed brace, an {end} too many). */
export function parseJsonPathTemplate(template: string): Part[] {
  const root: Part[] = [];
  const open: Array<{ range: string; body: Part[] }> = [];
  const here = () => open.at(-1)?.body ?? root;
  let i = 0;
  while (i < template.length) {
    const brace = template.indexOf('{', i);
    if (brace < 0) {
      here().push({ text: template.slice(i) });
      break;
    }
    if (brace > i) here().push({ text: template.slice(i, brace) });
    const close = closingBrace(template, brace);
    if (close < 0) throw new IntentError(`error parsing jsonpath ${template}: unclosed action at "${template.slice(brace)}"`);
    const action = template.slice(brace + 1, close).trim();
    if (action.startsWith('range ')) {
      const frame = { range: action.slice('range '.length).trim(), body: [] as Part[] };
      here().push(frame);
      open.push(frame);
    } else if (action === 'end') {
      if (!open.pop()) throw new IntentError(`error parsing jsonpath ${template}: {end} without {range ...}`);
    } else if (action.startsWith('"')) {
      try {
        here().push({ text: String(JSON.parse(action)) });
      } catch {
        throw new IntentError(`error parsing jsonpath ${template}: bad string literal ${action}`);
      }
    } else {
      here().push({ expr: action });
    }
    i = close + 1;
  }
  if (open.length > 0) throw new IntentError(`error parsing jsonpath ${template}: {range ${open.at(-1)!.range}} without {end}`);
  return root;
}

/** The index of the "}" closing the action that opens at `start`, skipping braces inside quoted strings. */
function closingBrace(template: string, start: number): number {
  let quote = '';
  for (let i = start + 1; i < template.length; i++) {
    const c = template[i]!;
    if (quote) {
      if (c === '\\') i++;
      else if (c === quote) quote = '';
    } else if (c === '"' || c === "'") {
      quote = c;
    } else if (c === '}') {
      return i;
    }
  }
  return -1;
}

/** kubectl's expression (relative to the current object: ".a", "@", "[0]") as a JSONPath from "$". */
function asJsonPath(expr: string): string {
  if (expr.startsWith('$')) return expr;
  if (expr.startsWith('@')) return `$${expr.slice(1)}`;
  return expr.startsWith('.') || expr.startsWith('[') ? `$${expr}` : `$.${expr}`;
}

function evaluate(expr: string, data: unknown): unknown[] {
  return JSONPath({ path: asJsonPath(expr), json: data as object, wrap: true }) as unknown[];
}

const show = (value: unknown): string => (typeof value === 'string' ? value : JSON.stringify(value));

function render(parts: Part[], data: unknown): string {
  let out = '';
  for (const part of parts) {
    if ('text' in part) out += part.text;
    else if ('expr' in part) out += evaluate(part.expr, data).map(show).join(' ');
    else for (const item of evaluate(part.range, data).flatMap((v) => (Array.isArray(v) ? v : [v]))) out += render(part.body, item);
  }
  return out;
}

/** The template applied to `data`, as kubectl prints it (no newline is added). */
export function renderJsonPath(template: string, data: unknown): string {
  return render(parseJsonPathTemplate(template), data);
}
