import Table from 'cli-table3';
import type { Colors } from './colors.js';

const NO_BORDER = {
  top: '', 'top-mid': '', 'top-left': '', 'top-right': '',
  bottom: '', 'bottom-mid': '', 'bottom-left': '', 'bottom-right': '',
  left: '', 'left-mid': '', mid: '', 'mid-mid': '', right: '', 'right-mid': '', middle: '  ',
};

/** A borderless table (kubectl-like), header in bold when colours are on. */
export function renderTable(c: Colors, head: string[], rows: Array<Array<string | number | undefined>>): string {
  const table = new Table({ head: head.map((h) => c.bold(h)), chars: NO_BORDER, style: { head: [], border: [], 'padding-left': 0, 'padding-right': 0 } });
  for (const row of rows) table.push(row.map((cell) => (cell === undefined || cell === '' ? '-' : String(cell))));
  return table.toString().split('\n').map((l) => l.trimEnd()).join('\n');
}
