/**
 * Statements of one transaction sent to PostgreSQL as ONE group of extended-protocol messages
 * with one Sync, answered in one flush (`StatementGroup`), instead of one Sync, one write and
 * one answer per statement (node-postgres's pipeline mode).
 *
 * Why: on this product's usual host (a small virtual machine), every message that wakes the
 * other process costs tens of microseconds of CPU on each side
 * (`bench/engine/loopback-pingpong.mjs`); a webhook's batch of inline runs (BEGIN, the ledger's
 * lock, each run's statement, COMMIT) was ~2 × (runs + 3) messages between the server and
 * PostgreSQL, and is 2 now: the group, and its answers, which come once COMMIT is done.
 *
 * A group is a node-postgres submittable on an ordinary (non-pipelined) client: the client sends
 * it when the group before it has been answered, and hands it the answers. Inside BEGIN … COMMIT
 * a Sync does not end the transaction; a statement that fails makes PostgreSQL skip the rest up
 * to the Sync, and every statement behind it in the group is rejected. The transaction is then
 * aborted: its owner rolls it back.
 */
import pg from "pg";
// node-postgres's own mapping of JavaScript values to parameters (dates, arrays, objects,
// buffers), so a statement sent in a group binds exactly what `client.query` would.
import pgUtils from "pg/lib/utils.js";

/** An answered statement: its command tag's first word and its rows. */
export interface GroupResult {
  command: string;
  rows: Record<string, unknown>[];
}

interface Pending {
  name: string | undefined;
  text: string;
  values: Array<string | Buffer | null>;
  resolve(r: GroupResult): void;
  reject(err: unknown): void;
}

interface FieldDescription {
  name: string;
  dataTypeID: number;
  format: string;
}

/** The connection's bookkeeping of named statements (node-postgres's, not typed). */
interface ParsedStatements {
  parsedStatements: Record<string, string>;
  submittedNamedStatements: Record<string, string>;
}

export class StatementGroup implements pg.Submittable {
  private readonly pending: Pending[] = [];
  /** The statement whose answer comes next. */
  private next = 0;
  private fields: FieldDescription[] | null = null;
  private parsers: Array<(v: string) => unknown> = [];
  private rows: Record<string, unknown>[] = [];
  private submitted = false;
  private settle!: () => void;
  /** Settles once every statement of the group is answered or failed. */
  readonly answered = new Promise<void>((resolve) => (this.settle = resolve));

  /**
   * Adds a statement (named: prepared once per connection); its answer resolves the promise.
   * The values are mapped now, so a value that cannot be bound rejects this statement alone and
   * sends nothing of it.
   */
  add(text: string, values: unknown[] = [], opts: { name?: string } = {}): Promise<GroupResult> {
    if (this.submitted) throw new Error("StatementGroup: the group was already sent");
    let mapped: Array<string | Buffer | null>;
    try {
      mapped = values.map((v) => pgUtils.prepareValue(v));
    } catch (err) {
      return Promise.reject(err);
    }
    return new Promise<GroupResult>((resolve, reject) =>
      this.pending.push({
        name: opts.name,
        text,
        values: mapped,
        resolve,
        reject,
      }),
    );
  }

  submit(connection: pg.Connection): void {
    this.submitted = true;
    const con = connection as unknown as pg.Connection & ParsedStatements;
    const stream = con.stream as unknown as { cork(): void; uncork(): void };
    stream.cork();
    try {
      for (const p of this.pending) {
        if (
          !p.name ||
          (con.parsedStatements[p.name] === undefined &&
            con.submittedNamedStatements[p.name] === undefined)
        ) {
          con.parse({ text: p.text, name: p.name ?? "", types: [] }, false);
          // Parsed once per connection; a connection whose group failed is not reused (see
          // the driver), so a Parse that failed is never taken for a prepared statement.
          if (p.name) con.parsedStatements[p.name] = p.text;
        }
        con.bind({ portal: "", statement: p.name ?? "", values: p.values }, false);
        con.describe({ type: "P", name: "" }, false);
        con.execute({ portal: "" }, false);
      }
      con.sync();
    } finally {
      stream.uncork();
    }
  }

  // The client hands the group the answers of its statements, in order.

  handleRowDescription(msg: { fields: FieldDescription[] }): void {
    this.fields = msg.fields;
    this.parsers = msg.fields.map(
      (f) => pg.types.getTypeParser(f.dataTypeID, "text") as (v: string) => unknown,
    );
  }

  handleDataRow(msg: { fields: Array<string | null> }): void {
    const fields = this.fields;
    if (!fields) return;
    const row: Record<string, unknown> = {};
    for (let i = 0; i < fields.length; i++) {
      const raw = msg.fields[i];
      row[fields[i]!.name] = raw === null || raw === undefined ? null : this.parsers[i]!(raw);
    }
    this.rows.push(row);
  }

  handleCommandComplete(msg: { text: string }): void {
    this.answer({ command: msg.text.split(" ")[0] ?? "", rows: this.rows });
  }

  handleEmptyQuery(): void {
    this.answer({ command: "", rows: [] });
  }

  handlePortalSuspended(): void {
    this.failFrom(this.next, new Error("StatementGroup: a portal was suspended (not requested)"));
  }

  handleCopyInResponse(): void {
    this.failFrom(this.next, new Error("StatementGroup: COPY is not supported in a group"));
  }

  handleCopyData(): void {}

  /** A statement failed: PostgreSQL skips the ones behind it up to the group's Sync. */
  handleError(err: unknown): void {
    this.failFrom(this.next, err);
  }

  handleReadyForQuery(): void {
    // Every statement was answered (or failed) before the Sync's ReadyForQuery: this settles
    // `answered`; anything left (not expected) is failed rather than left waiting.
    this.failFrom(this.next, new Error("StatementGroup: a statement was not answered"));
  }

  private answer(r: GroupResult): void {
    const p = this.pending[this.next++];
    this.fields = null;
    this.rows = [];
    p?.resolve(r);
  }

  private failFrom(i: number, err: unknown): void {
    const left = this.pending.slice(i);
    this.next = this.pending.length;
    this.settle();
    left[0]?.reject(err);
    for (const p of left.slice(1))
      p.reject(
        new Error(
          "current transaction is aborted: a statement sent before this one in the same group failed",
        ),
      );
  }
}
