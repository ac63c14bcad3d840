/**
 * Several statements' pieces joined into ONE statement: every CTE of every part, each part's
 * CTE names suffixed with its index (`upd_run` → `upd_run_2`) and its parameters renumbered
 * after the ones before, and one result row with each part's columns prefixed (`p2_run`).
 *
 * Why: PostgreSQL pays a statement's fixed costs (binding, starting the executor, opening every
 * index of every table it writes, the end-of-statement triggers) once per statement. A batch of
 * inline runs written as one statement pays them once, not once per run (issue 14 item 8).
 *
 * The renaming is lexical: whole-word identifiers equal to a part's CTE names, outside string
 * literals and quoted identifiers, so a table alias that happens to share a CTE's name is
 * renamed with all its uses, consistently. The builders' SQL has no comments and no
 * dollar-quoted strings; text that has either is refused rather than misread.
 */
import type { Row } from "./sql-rows";

/** The pieces of one part (see `checkpointPieces`). */
export interface JoinPart<R> {
  ctes: string[];
  selects: Array<[string, string]>;
  values: unknown[];
  read(row: Row): R;
  /** More renames of this part's words (e.g. a placeholder for the part before's CTE). */
  aliases?: Record<string, string>;
}

/** A joined statement: more CTEs may be added (with `add` for parameters) before `text()`. */
export interface JoinedStatement<R> {
  ctes: string[];
  values: unknown[];
  /** Binds a parameter after every part's; returns its placeholder. */
  add(v: unknown): string;
  /** Part `i`'s CTE `name` as renamed. */
  name(i: number, name: string): string;
  text(): string;
  /** Each part's result, read from the statement's one row. */
  read(row: Row): R[];
}

/** The CTE's name: the identifier before its `AS (`. */
function cteName(cte: string): string {
  const m = /^\s*([A-Za-z_][A-Za-z0-9_]*)\s+AS\s*\(/.exec(cte);
  if (!m) throw new Error(`joinStatements: not a CTE: ${cte.slice(0, 60)}`);
  return m[1]!;
}

const isWordStart = (c: number) => (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 95;
const isWordPart = (c: number) => isWordStart(c) || (c >= 48 && c <= 57) || c === 36;
const isDigit = (c: number) => c >= 48 && c <= 57;
const QUOTE = 39;
const DQUOTE = 34;
const DOLLAR = 36;
const DASH = 45;
const SLASH = 47;
const STAR = 42;

/**
 * `sql` with the words of `names` renamed and every `$n` shifted by `offset`; string literals
 * and quoted identifiers copied as they are.
 */
export function rewriteSql(
  sql: string,
  names: ReadonlyMap<string, string>,
  offset: number,
): string {
  let out = "";
  let from = 0; // start of the text not copied yet
  let i = 0;
  const n = sql.length;
  while (i < n) {
    const c = sql.charCodeAt(i);
    if (c === QUOTE || c === DQUOTE) {
      // '...' with '' inside; "..." with "" inside.
      let j = i + 1;
      for (;;) {
        const k = sql.indexOf(sql[i]!, j);
        if (k < 0) throw new Error("joinStatements: an unterminated quote");
        if (sql.charCodeAt(k + 1) === c) {
          j = k + 2;
          continue;
        }
        i = k + 1;
        break;
      }
    } else if (c === DOLLAR) {
      let j = i + 1;
      while (j < n && isDigit(sql.charCodeAt(j))) j++;
      if (j === i + 1) throw new Error("joinStatements: a dollar-quoted string");
      out += sql.slice(from, i) + `$${Number(sql.slice(i + 1, j)) + offset}`;
      from = i = j;
    } else if (
      (c === DASH && sql.charCodeAt(i + 1) === DASH) ||
      (c === SLASH && sql.charCodeAt(i + 1) === STAR)
    ) {
      throw new Error("joinStatements: a comment");
    } else if (isWordStart(c)) {
      let j = i + 1;
      while (j < n && isWordPart(sql.charCodeAt(j))) j++;
      const to = names.get(sql.slice(i, j));
      if (to !== undefined) {
        out += sql.slice(from, i) + to;
        from = j;
      }
      i = j;
    } else i++;
  }
  return out + sql.slice(from);
}

/**
 * Rewritten texts by part (names and offset), then by text: a flow's runs repeat the same texts.
 * Two levels, so that a lookup hashes the text alone instead of a copy of it with the key.
 */
const rewritten = new Map<string, Map<string, string>>();
let rewrittenCount = 0;
const REWRITTEN_MAX = 4096;

/** {@link rewriteSql}, remembered (`key`: the names and offset). */
function rewriteOnce(sql: string, names: ReadonlyMap<string, string>, offset: number, key: string) {
  let byText = rewritten.get(key);
  let out = byText?.get(sql);
  if (out === undefined) {
    out = rewriteSql(sql, names, offset);
    if (rewrittenCount >= REWRITTEN_MAX) {
      rewritten.clear();
      rewrittenCount = 0;
      byText = undefined;
    }
    if (!byText) rewritten.set(key, (byText = new Map()));
    byText.set(sql, out);
    rewrittenCount++;
  }
  return out;
}

/** Joins `parts` (at least one) into one statement; see the module's comment. */
export function joinStatements<R>(parts: ReadonlyArray<JoinPart<R>>): JoinedStatement<R> {
  const ctes: string[] = [];
  const values: unknown[] = [];
  const selects: string[] = [];
  const renamed: Array<Map<string, string>> = [];
  for (const [i, p] of parts.entries()) {
    const names = new Map<string, string>();
    for (const cte of p.ctes) {
      const name = cteName(cte);
      names.set(name, `${name}_${i}`);
    }
    for (const [from, to] of Object.entries(p.aliases ?? {})) names.set(from, to);
    renamed.push(names);
    const offset = values.length;
    const key = `${[...names].join()}|${offset}`;
    for (const cte of p.ctes) ctes.push(rewriteOnce(cte, names, offset, key));
    for (const [expr, alias] of p.selects)
      selects.push(`${rewriteOnce(expr, names, offset, key)} AS p${i}_${alias}`);
    values.push(...p.values);
  }
  return {
    ctes,
    values,
    add: (v) => (values.push(v), `$${values.length}`),
    name: (i, name) => {
      const to = renamed[i]?.get(name);
      if (!to) throw new Error(`joinStatements: part ${i} has no CTE ${name}`);
      return to;
    },
    text: () => `WITH ${ctes.join(",\n")} SELECT ${selects.join(", ")}`,
    read: (row) =>
      parts.map((p, i) => {
        const own: Row = {};
        for (const [, alias] of p.selects) own[alias] = row[`p${i}_${alias}`];
        return p.read(own);
      }),
  };
}
