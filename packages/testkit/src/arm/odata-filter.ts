/** A parsed `$filter`: clauses joined by `and`, each `field eq 'value'` (or a number/boolean), or an `or` group of them in parentheses. */
export type FilterClause = { field: string; value: string | number | boolean }[];

/** Parses the subset of OData the Retail Prices API is used with; undefined when the expression is not understood. */
export function parseFilter(text: string): FilterClause[] | undefined {
  const clauses: FilterClause[] = [];
  for (const part of splitTop(text.trim(), 'and')) {
    const inner = part.startsWith('(') && part.endsWith(')') ? part.slice(1, -1).trim() : part;
    const alternatives = splitTop(inner, 'or').map(parseComparison);
    if (alternatives.some((a) => a === undefined)) return undefined;
    clauses.push(alternatives as FilterClause);
  }
  return clauses.length ? clauses : undefined;
}

function parseComparison(text: string): { field: string; value: string | number | boolean } | undefined {
  const m = /^([A-Za-z]+)\s+eq\s+(?:'((?:[^']|'')*)'|(-?\d+(?:\.\d+)?)|(true|false))$/.exec(text.trim());
  if (!m) return undefined;
  const value = m[2] !== undefined ? m[2].replace(/''/g, "'") : m[3] !== undefined ? Number(m[3]) : m[4] === 'true';
  return { field: m[1]!, value };
}

/** Splits on a keyword outside quotes and parentheses. */
function splitTop(text: string, keyword: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let quoted = false;
  let start = 0;
  const re = new RegExp(`^\\s+${keyword}\\s+`, 'i');
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (ch === "'") quoted = !quoted;
    else if (!quoted && ch === '(') depth++;
    else if (!quoted && ch === ')') depth--;
    else if (!quoted && depth === 0) {
      const m = re.exec(text.slice(i));
      if (m) {
        parts.push(text.slice(start, i).trim());
        i += m[0].length - 1;
        start = i + 1;
      }
    }
  }
  parts.push(text.slice(start).trim());
  return parts;
}

/** True when `item` satisfies every clause (string values without case, as the default API version compares them). */
export function matches(item: Record<string, unknown>, clauses: FilterClause[]): boolean {
  return clauses.every((alternatives) =>
    alternatives.some(({ field, value }) => {
      // `priceType` is the API's filter name for the items' `type`.
      const actual = item[field === 'priceType' ? 'type' : field];
      return typeof value === 'string' && typeof actual === 'string' ? actual.toLowerCase() === value.toLowerCase() : actual === value;
    }),
  );
}
