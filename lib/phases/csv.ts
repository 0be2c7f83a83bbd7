/**
 * The metric series as CSV: a header line, a `step` column and one numeric column per metric,
 * one row per checkpoint. Parsing follows RFC 4180 (comma separator; fields may be quoted with
 * "…", a quote inside written ""; quoted fields may hold commas and line breaks; CRLF or LF; a
 * UTF-8 byte-order mark is ignored). Rows may come in any order: they are sorted by step.
 */
import { InputError } from '../util/errors.js';
import { readTextFile } from '../util/files.js';
import type { CheckpointInput } from './types.js';

export interface CsvRecord {
  /** 1-based line on which the record starts. */
  line: number;
  fields: string[];
}

/** Splits CSV text into records. Blank lines are skipped. */
export function parseCsv(text: string, file = '<csv>'): CsvRecord[] {
  const records: CsvRecord[] = [];
  let i = text.charCodeAt(0) === 0xfeff ? 1 : 0;
  let line = 1;
  let fields: string[] = [];
  let field = '';
  let recordLine = 1;
  let quotedField = false;
  let atFieldStart = true;
  const endField = (): void => {
    fields.push(quotedField ? field : field.trim());
    field = '';
    quotedField = false;
    atFieldStart = true;
  };
  const endRecord = (): void => {
    const wasQuoted = quotedField;
    endField();
    const blank = fields.length === 1 && fields[0] === '' && !wasQuoted;
    if (!blank) records.push({ line: recordLine, fields });
    fields = [];
  };
  while (i < text.length) {
    const ch = text[i];
    if (atFieldStart && (ch === ' ' || ch === '\t')) {
      i++; // spaces before a field (unquoted fields are trimmed anyway)
      continue;
    }
    if (atFieldStart && ch === '"') {
      // Quoted field: runs to the closing quote; "" is a literal quote.
      quotedField = true;
      atFieldStart = false;
      field = '';
      i++;
      const openedOn = line;
      for (;;) {
        if (i >= text.length) throw new InputError(file, `line ${openedOn}: quoted field is never closed`);
        const c = text[i];
        if (c === '"') {
          if (text[i + 1] === '"') {
            field += '"';
            i += 2;
            continue;
          }
          i++;
          break;
        }
        if (c === '\n') line++;
        field += c;
        i++;
      }
      // Only spaces may follow the closing quote before the separator.
      while (i < text.length && (text[i] === ' ' || text[i] === '\t')) i++;
      if (i < text.length && text[i] !== ',' && text[i] !== '\n' && text[i] !== '\r') {
        throw new InputError(file, `line ${line}: unexpected character after a closing quote`);
      }
      continue;
    }
    if (ch === ',') {
      endField();
      i++;
      continue;
    }
    if (ch === '\r' || ch === '\n') {
      endRecord();
      i += ch === '\r' && text[i + 1] === '\n' ? 2 : 1;
      line++;
      recordLine = line;
      continue;
    }
    if (ch === '"') throw new InputError(file, `line ${line}: a quote inside an unquoted field (quote the whole field and double the quote)`);
    field += ch;
    atFieldStart = false;
    i++;
  }
  if (field !== '' || quotedField || fields.length > 0) endRecord();
  return records;
}

export interface SeriesCsv {
  checkpoints: CheckpointInput[];
  /** Metric column names, in file order. */
  metrics: string[];
  /** True when the rows were not in ascending step order (they have been sorted). */
  sorted: boolean;
}

/** Strict number: decimal or exponent notation, nothing else (no empty, NaN, Infinity, hex). */
const NUMBER = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;

/** Minimum checkpoints for a series (a change needs a before and an after, plus a noise level). */
export const MIN_CHECKPOINTS = 3;

/** A cell or column name shortened for a message (a hostile file may hold megabytes in one). */
function short(text: string): string {
  return text.length > 40 ? `${text.slice(0, 40)}…` : text;
}

/** Parses a series CSV (see the module comment); every problem names the file and the line. */
export function parseSeriesCsv(text: string, file = '<csv>'): SeriesCsv {
  const records = parseCsv(text, file);
  if (records.length === 0) throw new InputError(file, 'file is empty, expected a header line with a "step" column');
  const header = records[0].fields;
  const seen = new Map<string, number>();
  header.forEach((name, k) => {
    if (name === '') throw new InputError(file, `line ${records[0].line}: column ${k + 1} has an empty name`);
    if (seen.has(name)) throw new InputError(file, `line ${records[0].line}: column "${name}" appears twice`);
    seen.set(name, k);
  });
  const stepColumn = header.findIndex((name) => name.toLowerCase() === 'step');
  if (stepColumn < 0) throw new InputError(file, `no "step" column (columns: ${header.join(', ')})`);
  const metricColumns = header.map((_, k) => k).filter((k) => k !== stepColumn);
  if (metricColumns.length === 0) throw new InputError(file, 'no metric columns besides "step"');
  const rows = records.slice(1);
  if (rows.length < MIN_CHECKPOINTS) {
    throw new InputError(file, `needs at least ${MIN_CHECKPOINTS} checkpoints (data rows), found ${rows.length}`);
  }
  const stepLine = new Map<number, number>();
  const checkpoints: CheckpointInput[] = rows.map(({ line, fields }) => {
    if (fields.length !== header.length) {
      throw new InputError(file, `line ${line}: ${fields.length} fields, but the header has ${header.length}`);
    }
    const value = (k: number): number => {
      const raw = fields[k];
      if (raw === '') throw new InputError(file, `line ${line}, column "${header[k]}": empty value (every checkpoint needs every metric; drop or fill the column)`);
      if (!NUMBER.test(raw)) throw new InputError(file, `line ${line}, column "${short(header[k])}": "${short(raw)}" is not a number`);
      const value = Number(raw);
      // 1e309 is written like a number but reads as Infinity, which is refused like "Infinity".
      if (!Number.isFinite(value)) throw new InputError(file, `line ${line}, column "${header[k]}": ${raw} is out of range (beyond ±1.8e308, the largest double)`);
      return value;
    };
    const step = value(stepColumn);
    const earlier = stepLine.get(step);
    if (earlier !== undefined) throw new InputError(file, `line ${line}: step ${step} already on line ${earlier} (duplicate checkpoint)`);
    stepLine.set(step, line);
    // No prototype: a column named __proto__ or constructor is a column like any other.
    const metrics: Record<string, number> = Object.create(null) as Record<string, number>;
    for (const k of metricColumns) metrics[header[k]] = value(k);
    return { step, metrics };
  });
  const sorted = checkpoints.some((c, i) => i > 0 && c.step < checkpoints[i - 1].step);
  if (sorted) checkpoints.sort((a, b) => a.step - b.step);
  return { checkpoints, metrics: metricColumns.map((k) => header[k]), sorted };
}

/** Reads and parses a series CSV file. */
export function readSeriesCsv(file: string): SeriesCsv {
  const text = readTextFile(file);
  return parseSeriesCsv(text, file);
}
