import { describe, expect, it } from "vitest";
import {
  AUDIT_CSV_COLUMNS,
  csvCell,
  csvLine,
  entryCsv,
  entryJsonl,
  inPages,
  verificationCsv,
  verificationJsonl,
  type ExportEntry,
  type ExportVerification,
} from "./export-format";

const entry: ExportEntry = {
  seq: 7,
  at: new Date("2026-03-01T10:00:00.123Z"),
  actorId: "u1",
  actorLabel: "ada@example.test",
  action: "workflow.update",
  subjectType: "workflow",
  subjectId: "w1",
  payload: { name: 'Quote, "to" cash', note: "line1\nline2" },
  prevHash: "a".repeat(64),
  hash: "b".repeat(64),
};

const verified: ExportVerification = {
  result: { ok: true, entries: 9, head: "c".repeat(64) },
  workspaceId: "ws1",
  verifiedAt: new Date("2026-03-01T11:00:00.000Z"),
  exportedBy: "ada@example.test",
  upTo: 9,
  filters: { subjectType: "workflow" },
};

/** A minimal RFC 4180 reader, to check that what we write parses back to the same cells. */
function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let cell = "";
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        cell += '"';
        i++;
      } else if (c === '"') quoted = false;
      else cell += c;
    } else if (c === '"') quoted = true;
    else if (c === ",") {
      row.push(cell);
      cell = "";
    } else if (c === "\r" && text[i + 1] === "\n") {
      row.push(cell);
      rows.push(row);
      row = [];
      cell = "";
      i++;
    } else cell += c;
  }
  return rows;
}

describe("CSV cells", () => {
  it("quotes commas, quotes, line breaks and edge spaces, doubling inner quotes", () => {
    expect(csvCell("plain")).toBe("plain");
    expect(csvCell("a,b")).toBe('"a,b"');
    expect(csvCell('say "hi"')).toBe('"say ""hi"""');
    expect(csvCell("two\nlines")).toBe('"two\nlines"');
    expect(csvCell("cr\rhere")).toBe('"cr\rhere"');
    expect(csvCell(" padded")).toBe('" padded"');
    expect(csvCell(null)).toBe("");
    expect(csvCell(undefined)).toBe("");
    expect(csvCell(42)).toBe("42");
  });

  it("defuses cells a spreadsheet would run as a formula", () => {
    expect(csvCell('=HYPERLINK("http://evil")')).toBe('"\'=HYPERLINK(""http://evil"")"');
    expect(csvCell("+1+1")).toBe("'+1+1");
    expect(csvCell("-2+3")).toBe("'-2+3");
    expect(csvCell("@SUM(A1)")).toBe("'@SUM(A1)");
    expect(csvCell("\t=1")).toBe("'\t=1");
    expect(csvCell("a=b")).toBe("a=b");
    // Numbers are numbers, not text a person typed.
    expect(csvCell(-1)).toBe("-1");
  });

  it("ends lines with CRLF", () => {
    expect(csvLine(["a", 1, null])).toBe("a,1,\r\n");
  });
});

describe("CSV export rows", () => {
  it("writes an entry that parses back to its fields", () => {
    const [cells] = parseCsv(entryCsv(entry));
    expect(cells).toHaveLength(AUDIT_CSV_COLUMNS.length);
    const row = Object.fromEntries(AUDIT_CSV_COLUMNS.map((c, i) => [c, cells![i]]));
    expect(row).toEqual({
      record: "entry",
      seq: "7",
      at: "2026-03-01T10:00:00.123Z",
      actor: "ada@example.test",
      actor_id: "u1",
      action: "workflow.update",
      subject_type: "workflow",
      subject_id: "w1",
      payload: JSON.stringify(entry.payload),
      prev_hash: "a".repeat(64),
      hash: "b".repeat(64),
    });
  });

  it("guards an actor label or action shaped like a formula", () => {
    const [cells] = parseCsv(entryCsv({ ...entry, actorLabel: "=cmd|'/c calc'!A1", action: "@x" }));
    expect(cells![3]).toBe("'=cmd|'/c calc'!A1");
    expect(cells![5]).toBe("'@x");
  });

  it("heads the file with the verification result in the same columns", () => {
    const [cells] = parseCsv(verificationCsv(verified));
    expect(cells![0]).toBe("verification");
    expect(cells![1]).toBe("9");
    expect(cells![5]).toBe("audit.verify.ok");
    expect(cells![10]).toBe("c".repeat(64));
    expect(JSON.parse(cells![8]!)).toEqual({
      ok: true,
      entries: 9,
      head: "c".repeat(64),
      upTo: 9,
      filters: { subjectType: "workflow" },
    });

    const broken: ExportVerification = {
      ...verified,
      result: {
        ok: false,
        entries: 3,
        brokenAt: 4,
        reason: "hash-mismatch",
        message: "Entry #4 was changed after it was written.",
      },
    };
    const [b] = parseCsv(verificationCsv(broken));
    expect(b![5]).toBe("audit.verify.broken");
    expect(b![10]).toBe("");
    expect(JSON.parse(b![8]!)).toMatchObject({ ok: false, brokenAt: 4, reason: "hash-mismatch" });
  });
});

describe("JSON Lines export", () => {
  it("writes one object a line, even when values hold line breaks", () => {
    const line = entryJsonl(entry);
    expect(line.endsWith("\n")).toBe(true);
    expect(line.slice(0, -1)).not.toContain("\n");
    expect(JSON.parse(line)).toEqual({
      record: "entry",
      seq: 7,
      at: "2026-03-01T10:00:00.123Z",
      actor: { id: "u1", label: "ada@example.test" },
      action: "workflow.update",
      subject: { type: "workflow", id: "w1" },
      payload: entry.payload,
      prevHash: "a".repeat(64),
      hash: "b".repeat(64),
    });
  });

  it("does not alter formula-like text (JSON is not opened by spreadsheets)", () => {
    expect(JSON.parse(entryJsonl({ ...entry, actorLabel: "=1+1" })).actor.label).toBe("=1+1");
  });

  it("starts with the verification record", () => {
    expect(JSON.parse(verificationJsonl(verified))).toEqual({
      record: "verification",
      workspaceId: "ws1",
      verifiedAt: "2026-03-01T11:00:00.000Z",
      exportedBy: "ada@example.test",
      ok: true,
      entries: 9,
      head: "c".repeat(64),
      upTo: 9,
      filters: { subjectType: "workflow" },
    });
  });
});

describe("reading in pages", () => {
  it("asks for one page at a time after the last key and stops at a short page", async () => {
    const all = Array.from({ length: 12 }, (_, i) => ({ seq: i + 1 }));
    const calls: Array<[number, number]> = [];
    let outstanding = 0;
    let maxOutstanding = 0;
    const fetchPage = async (after: number, take: number) => {
      calls.push([after, take]);
      const page = all.filter((r) => r.seq > after).slice(0, take);
      outstanding += page.length;
      maxOutstanding = Math.max(maxOutstanding, outstanding);
      return page;
    };
    const seen: number[] = [];
    for await (const row of inPages(fetchPage, (r) => r.seq, 5)) {
      seen.push(row.seq);
      outstanding--;
    }
    expect(seen).toEqual(all.map((r) => r.seq));
    expect(calls).toEqual([
      [0, 5],
      [5, 5],
      [10, 5],
    ]);
    // The consumer never had more than one page fetched but not yet taken.
    expect(maxOutstanding).toBeLessThanOrEqual(5);
  });

  it("reads the next page only when the consumer asks for more", async () => {
    let fetches = 0;
    const rows = inPages(
      async (after) => {
        fetches++;
        return [{ seq: after + 1 }, { seq: after + 2 }];
      },
      (r) => r.seq,
      2,
    );
    await rows.next();
    await rows.next();
    expect(fetches).toBe(1);
    await rows.return(undefined);
    expect(fetches).toBe(1);
  });

  it("asks once more after an exactly full last page and gets nothing", async () => {
    const calls: number[] = [];
    const out: number[] = [];
    for await (const r of inPages(
      async (after) => (
        calls.push(after),
        after < 4 ? [{ seq: after + 1 }, { seq: after + 2 }] : []
      ),
      (r) => r.seq,
      2,
    ))
      out.push(r.seq);
    expect(out).toEqual([1, 2, 3, 4]);
    expect(calls).toEqual([0, 2, 4]);
  });
});
