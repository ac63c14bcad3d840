import { describe, expect, it } from "vitest";
import { checkDecider, matchesApprovers, type Decider, type GuardedApproval } from "./guard";

const REQUESTER = "00000000-0000-4000-8000-000000000001";
const ALICE = "00000000-0000-4000-8000-00000000000a";
const BOB = "00000000-0000-4000-8000-00000000000b";

function approval(over: Partial<GuardedApproval> = {}): GuardedApproval {
  return {
    kind: "step",
    status: "pending",
    requesterId: REQUESTER,
    approvers: { role: "approver" },
    decisions: [],
    ...over,
  };
}

function person(over: Partial<Decider> = {}): Decider {
  return {
    userId: ALICE,
    email: "alice@example.test",
    role: "approver",
    groups: [],
    via: "session",
    ...over,
  };
}

const refused = (r: ReturnType<typeof checkDecider>) => (r.ok ? "OK" : r.code);

describe("checkDecider: the four-eyes guard", () => {
  it("admits a qualified person who is not the requester", () => {
    expect(checkDecider(approval(), person())).toEqual({ ok: true });
  });

  it("refuses the requester, whatever their role", () => {
    for (const role of ["approver", "admin"] as const) {
      const r = checkDecider(approval(), person({ userId: REQUESTER, role }));
      expect(r).toMatchObject({ ok: false, code: "FORBIDDEN" });
      expect(r.ok ? "" : r.reason).toMatch(/four-eyes/);
    }
  });

  it("refuses the requester of a replay and a reprocess job too", () => {
    for (const kind of ["replay", "reprocess"] as const) {
      expect(refused(checkDecider(approval({ kind }), person({ userId: REQUESTER })))).toBe(
        "FORBIDDEN",
      );
    }
  });

  it("lets anyone qualified decide a run with no personal requester (webhook, schedule)", () => {
    const a = approval({ requesterId: null });
    expect(checkDecider(a, person({ userId: REQUESTER })).ok).toBe(true);
    expect(checkDecider(a, person({ role: "editor" })).ok).toBe(false);
  });

  it("orders roles viewer < editor < approver < admin: role approver admits admins", () => {
    const a = approval({ approvers: { role: "approver" } });
    expect(checkDecider(a, person({ role: "admin" })).ok).toBe(true);
    expect(checkDecider(a, person({ role: "approver" })).ok).toBe(true);
    expect(refused(checkDecider(a, person({ role: "editor" })))).toBe("FORBIDDEN");
    expect(refused(checkDecider(a, person({ role: "viewer" })))).toBe("FORBIDDEN");
    const admins = approval({ approvers: { role: "admin" } });
    expect(refused(checkDecider(admins, person({ role: "approver" })))).toBe("FORBIDDEN");
    expect(checkDecider(admins, person({ role: "admin" })).ok).toBe(true);
    const editors = approval({ approvers: { role: "editor" } });
    expect(checkDecider(editors, person({ role: "editor" })).ok).toBe(true);
  });

  it("matches a group by membership, not by role", () => {
    const a = approval({ approvers: { group: "finance" } });
    expect(checkDecider(a, person({ role: "editor", groups: ["finance"] })).ok).toBe(true);
    expect(refused(checkDecider(a, person({ role: "admin", groups: ["ops"] })))).toBe("FORBIDDEN");
  });

  it("matches users by email, case-insensitively", () => {
    const a = approval({ approvers: { users: ["Alice@Example.test", "carol@example.test"] } });
    expect(checkDecider(a, person({ role: "editor" })).ok).toBe(true);
    expect(
      refused(checkDecider(a, person({ userId: BOB, email: "bob@example.test", role: "admin" }))),
    ).toBe("FORBIDDEN");
  });

  it("qualifies a person matching any one of role, group and users", () => {
    const a = approval({ approvers: { role: "admin", group: "finance", users: ["x@y.z"] } });
    expect(checkDecider(a, person({ role: "editor", groups: ["finance"] })).ok).toBe(true);
    expect(checkDecider(a, person({ role: "editor", email: "x@y.z" })).ok).toBe(true);
    expect(checkDecider(a, person({ role: "admin" })).ok).toBe(true);
    expect(checkDecider(a, person({ role: "approver" })).ok).toBe(false);
  });

  it("treats empty approvers as the workspace's approvers", () => {
    expect(matchesApprovers({}, person({ role: "approver" }))).toBe(true);
    expect(matchesApprovers({}, person({ role: "editor" }))).toBe(false);
  });

  it("has replays and reprocess jobs decided by approvers or admins only", () => {
    for (const kind of ["replay", "reprocess"] as const) {
      const a = approval({ kind, approvers: { group: "ops" } });
      expect(refused(checkDecider(a, person({ role: "editor", groups: ["ops"] })))).toBe(
        "FORBIDDEN",
      );
      expect(checkDecider(a, person({ role: "approver", groups: ["ops"] })).ok).toBe(true);
      expect(checkDecider(a, person({ role: "admin", groups: ["ops"] })).ok).toBe(true);
    }
  });

  it("allows one decision per person", () => {
    const a = approval({ decisions: [{ userId: ALICE }] });
    const r = checkDecider(a, person());
    expect(r).toMatchObject({ ok: false, code: "FORBIDDEN" });
    expect(r.ok ? "" : r.reason).toMatch(/already decided/);
    expect(checkDecider(a, person({ userId: BOB })).ok).toBe(true);
  });

  it("answers CONFLICT for a decided, expired or voided approval", () => {
    for (const status of ["approved", "rejected", "submitted", "expired", "voided"] as const) {
      expect(refused(checkDecider(approval({ status }), person()))).toBe("CONFLICT");
    }
  });

  it("refuses an API token without the approve scope", () => {
    expect(refused(checkDecider(approval(), person({ via: "token", scopes: ["read"] })))).toBe(
      "FORBIDDEN",
    );
    expect(refused(checkDecider(approval(), person({ via: "token", scopes: ["run"] })))).toBe(
      "FORBIDDEN",
    );
    expect(checkDecider(approval(), person({ via: "token", scopes: ["approve"] })).ok).toBe(true);
    expect(checkDecider(approval(), person({ via: "token", scopes: ["admin"] })).ok).toBe(true);
  });

  it("never lets viewers decide, even when named", () => {
    const a = approval({ approvers: { users: ["alice@example.test"] } });
    expect(refused(checkDecider(a, person({ role: "viewer" })))).toBe("FORBIDDEN");
  });

  describe("break-glass", () => {
    const glass = { breakGlass: true };

    it("is an admin's only, and needs no approver match", () => {
      const a = approval({ approvers: { group: "finance" } });
      expect(checkDecider(a, person({ role: "admin" }), glass).ok).toBe(true);
      expect(
        refused(checkDecider(a, person({ role: "approver", groups: ["finance"] }), glass)),
      ).toBe("FORBIDDEN");
    });

    it("is never allowed on the admin's own request", () => {
      const r = checkDecider(approval(), person({ userId: REQUESTER, role: "admin" }), glass);
      expect(r).toMatchObject({ ok: false, code: "FORBIDDEN" });
      expect(r.ok ? "" : r.reason).toMatch(/own request/);
      // Not on the admin's own form either (forms are exempt from the requester rule otherwise).
      expect(
        refused(
          checkDecider(
            approval({ kind: "form" }),
            person({ userId: REQUESTER, role: "admin" }),
            glass,
          ),
        ),
      ).toBe("FORBIDDEN");
    });

    it("cannot decide twice nor decide what is decided", () => {
      expect(
        refused(
          checkDecider(
            approval({ decisions: [{ userId: ALICE }] }),
            person({ role: "admin" }),
            glass,
          ),
        ),
      ).toBe("FORBIDDEN");
      expect(
        refused(checkDecider(approval({ status: "approved" }), person({ role: "admin" }), glass)),
      ).toBe("CONFLICT");
    });
  });

  it("lets a form's assignee who started the run fill it in", () => {
    const form = approval({ kind: "form", approvers: { users: ["alice@example.test"] } });
    expect(checkDecider(form, person({ userId: REQUESTER, role: "editor" })).ok).toBe(true);
  });
});
