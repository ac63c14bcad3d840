/**
 * SQL both sides of the import run alike: the session settings that make both servers write a row
 * as the same JSON text, identifier quoting, and the rows' text and digest (computed in Node for
 * the source as it is read, in SQL on the target after the copy).
 */
import { createHash } from "node:crypto";
import pg from "pg";

/**
 * Row text and digest are computed by both servers with the same settings, so the same row gives
 * the same JSON text on both sides (timestamptz in UTC, bytea in hex, shortest exact floats).
 */
export const SESSION = `SET TimeZone = 'UTC'; SET DateStyle = 'ISO, MDY'; SET IntervalStyle = 'postgres';
SET bytea_output = 'hex'; SET extra_float_digits = 1`;

export const q = (name: string) => pg.escapeIdentifier(name);

/**
 * One row's contribution to a table's digest: the first 64 bits of the SHA-256 of its JSON text,
 * as a signed integer; the digest is their sum. The target computes the same in SQL
 * ({@link DIGEST_SQL}): a row that did not arrive byte for byte changes the sum (barring a
 * 2^-64 coincidence), whatever order either side reads the rows in.
 */
export function rowDigest(text: string): bigint {
  return createHash("sha256").update(text).digest().readBigInt64BE(0);
}
export const DIGEST_SQL = `coalesce(sum(('x' || left(encode(sha256(convert_to(r, 'UTF8')), 'hex'), 16))::bit(64)::bigint), 0)::text`;

/** The JSON text of each row, columns in a fixed order (not attnum: it may differ between sides). */
export const rowsSql = (table: string, columns: string[]) =>
  `SELECT row_to_json(x)::text AS r FROM (SELECT ${columns.map(q).join(", ")} FROM ${q(table)}) x`;
