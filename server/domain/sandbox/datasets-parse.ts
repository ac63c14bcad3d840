/**
 * Dataset rows from text (issue 16): CSV (RFC 4180) and JSON Lines, and the bounds every row set
 * meets whatever its source. Pure: no I/O, no clock. Every problem is an `INVALID_INPUT` naming
 * the line (CSV, JSON Lines) or the row (other sources); a bound that trips stops the parse at
 * once, so bad input costs at most one pass over the capped text.
 *
 * CSV, as chosen here:
 * - the first record is the header: column names, non-empty, unique, at most 200;
 * - fields separated by `,`, records by CRLF or LF; a field in double quotes may hold commas,
 *   line breaks and `""` (one quote); a quote inside an unquoted field, or text after a closing
 *   quote, is an error (strict RFC 4180), as is a quote left open at the end;
 * - a UTF-8 byte order mark is dropped; empty lines are skipped; every record has as many fields
 *   as the header;
 * - values stay strings ("42", "true") unless the upload gives the column a type:
 *   `number`, `boolean` (`true`/`false`, any case) or `json`; an empty cell of a typed column is
 *   null.
 *
 * JSON Lines: one JSON object per line; empty lines are skipped; anything else (an array, a
 * number, broken JSON) is an error naming its line.
 */
import { canonicalJson } from "@/dsl";
import { AppError } from "../errors";

/** The bounds of one dataset version. */
export const DATASET_LIMITS = {
  /** Bytes of an uploaded CSV or JSON Lines text (UTF-8). */
  uploadBytes: 5 * 1024 * 1024,
  /** Rows of one version. */
  rows: 10_000,
  /** Bytes of one row's canonical JSON. */
  rowBytes: 64 * 1024,
  /** Distinct columns (top-level keys) of one version. */
  columns: 200,
  /** Characters of one column name. */
  columnName: 200,
  /** Nesting of objects and arrays inside one row. */
  depth: 32,
} as const;

/** A row of a dataset: a JSON object. */
export type DatasetRow = Record<string, unknown>;

export type CsvColumnType = "string" | "number" | "boolean" | "json";

/** What a column's values are: one JSON type, `mixed`, or `null` when all are null. */
export type ColumnKind = "string" | "number" | "boolean" | "object" | "array" | "null" | "mixed";

export interface DatasetColumn {
  name: string;
  type: ColumnKind;
}

function invalid(message: string, details: Record<string, unknown> = {}): AppError {
  return new AppError("INVALID_INPUT", { message, details });
}

/** Throws when `text` is larger than the upload cap (counted in UTF-8 bytes). */
export function checkUploadSize(text: string): void {
  // A UTF-8 character is at most 3 bytes per UTF-16 unit: skip the exact count when clearly small.
  if (text.length * 3 <= DATASET_LIMITS.uploadBytes) return;
  const bytes = Buffer.byteLength(text, "utf8");
  if (bytes > DATASET_LIMITS.uploadBytes) {
    throw invalid(
      `The upload is ${bytes} bytes: at most ${DATASET_LIMITS.uploadBytes} bytes (5 MB).`,
      { field: "text" },
    );
  }
}

function tooManyRows(): AppError {
  return invalid(`A dataset version holds at most ${DATASET_LIMITS.rows} rows.`, {
    field: "rows",
  });
}

function typed(
  value: string,
  type: CsvColumnType,
  column: string,
  line: number,
): string | number | boolean | null | unknown {
  if (type === "string") return value;
  const t = value.trim();
  if (t === "") return null;
  if (type === "number") {
    const n = Number(t);
    if (!Number.isFinite(n) || !/^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/.test(t)) {
      throw invalid(`Line ${line}, column "${column}": "${clip(t)}" is not a number.`, { line });
    }
    return n;
  }
  if (type === "boolean") {
    const l = t.toLowerCase();
    if (l === "true") return true;
    if (l === "false") return false;
    throw invalid(`Line ${line}, column "${column}": "${clip(t)}" is not true or false.`, {
      line,
    });
  }
  try {
    return JSON.parse(t) as unknown;
  } catch {
    throw invalid(`Line ${line}, column "${column}": the cell is not valid JSON.`, { line });
  }
}

function clip(s: string, n = 40): string {
  return s.length > n ? `${s.slice(0, n)}…` : s;
}

/**
 * Parses CSV text (RFC 4180, header row) into rows; `types` gives columns a type (else strings).
 * Throws `INVALID_INPUT` naming the line of the first problem.
 */
export function parseCsv(
  text: string,
  types: Readonly<Record<string, CsvColumnType>> = {},
): DatasetRow[] {
  checkUploadSize(text);
  let i = text.charCodeAt(0) === 0xfeff ? 1 : 0;
  const n = text.length;
  let line = 1;
  let header: string[] | null = null;
  const rows: DatasetRow[] = [];

  while (i < n) {
    const recordLine = line;
    const fields: string[] = [];
    let field = "";
    let endOfRecord = false;
    let quoted = false;
    // One record: fields until an unquoted line break or the end of the text.
    while (!endOfRecord) {
      if (text[i] === '"') {
        quoted = true;
        const quoteLine = line;
        i++;
        let closed = false;
        while (i < n) {
          const c = text[i]!;
          if (c === '"') {
            if (text[i + 1] === '"') {
              field += '"';
              i += 2;
              continue;
            }
            i++;
            closed = true;
            break;
          }
          if (c === "\n") line++;
          field += c;
          i++;
        }
        if (!closed) {
          throw invalid(`Line ${quoteLine}: a quoted field is never closed.`, { line: quoteLine });
        }
        const next = text[i];
        if (next !== undefined && next !== "," && next !== "\n" && next !== "\r") {
          throw invalid(
            `Line ${line}: text after a closing quote; write "" for a quote inside a quoted field.`,
            { line },
          );
        }
      } else {
        while (i < n) {
          const c = text[i]!;
          if (c === "," || c === "\n" || c === "\r") break;
          if (c === '"') {
            throw invalid(
              `Line ${line}: a quote inside an unquoted field; quote the field and write "" for the quote.`,
              { line },
            );
          }
          field += c;
          i++;
        }
      }
      fields.push(field);
      field = "";
      if (fields.length > DATASET_LIMITS.columns) {
        throw invalid(
          `Line ${recordLine}: more than ${DATASET_LIMITS.columns} fields (at most ${DATASET_LIMITS.columns} columns).`,
          { line: recordLine },
        );
      }
      const c = text[i];
      if (c === ",") {
        i++;
      } else {
        if (c === "\r") i++;
        if (text[i] === "\n") i++;
        else if (c === "\r") {
          throw invalid(`Line ${line}: a lone carriage return; end lines with CRLF or LF.`, {
            line,
          });
        }
        if (c !== undefined) line++;
        endOfRecord = true;
      }
    }
    if (fields.length === 1 && fields[0] === "" && !quoted) continue; // an empty line
    if (!header) {
      header = fields.map((h) => h.trim());
      const seen = new Set<string>();
      header.forEach((h, k) => {
        if (h === "") throw invalid(`Line ${recordLine}: column ${k + 1} has no name.`, { line });
        if (h.length > DATASET_LIMITS.columnName) {
          throw invalid(
            `Line ${recordLine}: column ${k + 1}'s name is longer than ${DATASET_LIMITS.columnName} characters.`,
            { line: recordLine },
          );
        }
        if (seen.has(h)) {
          throw invalid(`Line ${recordLine}: column "${clip(h)}" appears twice.`, {
            line: recordLine,
          });
        }
        seen.add(h);
      });
      for (const name of Object.keys(types)) {
        if (!seen.has(name)) {
          throw invalid(`A type is given for column "${clip(name)}", which the header lacks.`, {
            field: "columnTypes",
          });
        }
      }
      continue;
    }
    if (fields.length !== header.length) {
      throw invalid(
        `Line ${recordLine}: ${fields.length} fields where the header has ${header.length}.`,
        { line: recordLine },
      );
    }
    if (rows.length >= DATASET_LIMITS.rows) throw tooManyRows();
    const row: DatasetRow = {};
    header.forEach((h, k) => {
      const type = Object.hasOwn(types, h) ? types[h]! : "string";
      Object.defineProperty(row, h, {
        value: typed(fields[k]!, type, h, recordLine),
        enumerable: true,
        writable: true,
        configurable: true,
      });
    });
    checkRowSize(row, `Line ${recordLine}`, { line: recordLine });
    rows.push(row);
  }
  if (!header) throw invalid("The CSV is empty: give a header row and at least one row.");
  if (rows.length === 0) throw invalid("The CSV has a header but no rows.");
  return rows;
}

/** Parses JSON Lines: one object per line. Throws `INVALID_INPUT` naming the first bad line. */
export function parseJsonl(text: string): DatasetRow[] {
  checkUploadSize(text);
  const rows: DatasetRow[] = [];
  let start = text.charCodeAt(0) === 0xfeff ? 1 : 0;
  let line = 0;
  while (start <= text.length) {
    line++;
    let end = text.indexOf("\n", start);
    if (end === -1) end = text.length;
    const raw = text.slice(start, end).replace(/\r$/, "");
    start = end + 1;
    if (raw.trim() === "") {
      if (end === text.length) break;
      continue;
    }
    if (raw.length > DATASET_LIMITS.rowBytes) {
      throw invalid(
        `Line ${line}: longer than ${DATASET_LIMITS.rowBytes} bytes (the cap of one row).`,
        { line },
      );
    }
    let value: unknown;
    try {
      value = JSON.parse(raw);
    } catch (err) {
      const why = err instanceof SyntaxError ? `: ${err.message}` : "";
      throw invalid(`Line ${line}: not valid JSON${why}.`, { line });
    }
    if (typeof value !== "object" || value === null || Array.isArray(value)) {
      throw invalid(`Line ${line}: each line holds one JSON object ({...}).`, { line });
    }
    if (rows.length >= DATASET_LIMITS.rows) throw tooManyRows();
    checkRowSize(value as DatasetRow, `Line ${line}`, { line });
    rows.push(value as DatasetRow);
    if (end === text.length) break;
  }
  if (rows.length === 0) throw invalid("The JSON Lines text holds no rows.");
  return rows;
}

/** Whether `value` nests objects and arrays deeper than `limit` (walked without recursion). */
function tooDeep(value: unknown, limit: number): boolean {
  const stack: [unknown, number][] = [[value, 1]];
  while (stack.length > 0) {
    const [v, depth] = stack.pop()!;
    if (v === null || typeof v !== "object") continue;
    if (depth > limit) return true;
    for (const child of Array.isArray(v) ? v : Object.values(v)) stack.push([child, depth + 1]);
  }
  return false;
}

function checkRowSize(row: DatasetRow, where: string, details: Record<string, unknown>): void {
  // Checked first: the canonical writer (and the database) recurse.
  if (tooDeep(row, DATASET_LIMITS.depth)) {
    throw invalid(
      `${where}: the row nests objects and arrays deeper than ${DATASET_LIMITS.depth} levels.`,
      details,
    );
  }
  const bytes = Buffer.byteLength(canonicalJson(row), "utf8");
  if (bytes > DATASET_LIMITS.rowBytes) {
    throw invalid(
      `${where}: the row is ${bytes} bytes of JSON; at most ${DATASET_LIMITS.rowBytes} bytes per row.`,
      details,
    );
  }
}

function kindOf(v: unknown): ColumnKind {
  if (v === null || v === undefined) return "null";
  if (Array.isArray(v)) return "array";
  const t = typeof v;
  if (t === "string" || t === "number" || t === "boolean") return t;
  return "object";
}

/**
 * Checks rows from any source against {@link DATASET_LIMITS} (count, objects only, bytes per row,
 * distinct columns) and returns their columns, in first-seen order. Row numbers start at 1.
 */
export function checkRows(rows: readonly unknown[]): DatasetColumn[] {
  if (rows.length === 0) throw invalid("A dataset version holds at least one row.");
  if (rows.length > DATASET_LIMITS.rows) throw tooManyRows();
  const kinds = new Map<string, ColumnKind>();
  rows.forEach((row, k) => {
    if (typeof row !== "object" || row === null || Array.isArray(row)) {
      throw invalid(`Row ${k + 1}: a row is a JSON object.`, { row: k + 1 });
    }
    checkRowSize(row as DatasetRow, `Row ${k + 1}`, { row: k + 1 });
    for (const [name, value] of Object.entries(row)) {
      const kind = kindOf(value);
      const prior = kinds.get(name);
      if (prior === undefined) {
        if (name.length > DATASET_LIMITS.columnName) {
          throw invalid(
            `Row ${k + 1}: a column name is longer than ${DATASET_LIMITS.columnName} characters.`,
            { row: k + 1 },
          );
        }
        if (kinds.size >= DATASET_LIMITS.columns) {
          throw invalid(
            `Row ${k + 1}: more than ${DATASET_LIMITS.columns} distinct columns in the dataset.`,
            { row: k + 1 },
          );
        }
        kinds.set(name, kind);
      } else if (prior !== kind && kind !== "null") {
        kinds.set(name, prior === "null" ? kind : "mixed");
      }
    }
  });
  return [...kinds].map(([name, type]) => ({ name, type }));
}
