/**
 * Writing CSV (RFC 4180): a header row, then one row per record; numbers in full precision
 * (shortest round-trip form), null/undefined/NaN as empty cells, text quoted when needed.
 */
export type CsvCell = string | number | boolean | null | undefined;

export function toCsv(columns: readonly string[], rows: readonly Record<string, CsvCell>[]): string {
  const lines = [columns.map(quoteCsv).join(',')];
  for (const row of rows) lines.push(columns.map((c) => formatCell(row[c])).join(','));
  return lines.join('\n') + '\n';
}

function formatCell(value: CsvCell): string {
  if (value === null || value === undefined) return '';
  if (typeof value === 'number') return Number.isFinite(value) ? String(value) : '';
  return quoteCsv(String(value));
}

function quoteCsv(text: string): string {
  return /[",\n\r]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}
