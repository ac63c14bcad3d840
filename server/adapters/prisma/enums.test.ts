import { describe, expect, expectTypeOf, it } from "vitest";
import * as lib from "@/lib/enums";
import * as engine from "@/server/engine/types";
import { Role, RunStatus } from "./generated/enums";

/**
 * The status and role vocabularies live in `lib/enums.ts` (client and server); the database's
 * enums (Prisma) and the engine's records (which import only the engine and the compiler) hold
 * the same values. These tests keep the three equal.
 */
describe("enums defined once agree with the database and the engine", () => {
  it("roles: the same values as Prisma's Role, least to most powerful", () => {
    expect(lib.ROLES).toEqual(Object.values(Role));
    expectTypeOf<lib.Role>().toEqualTypeOf<Role>();
    expect([...lib.ROLES].sort(lib.compareRoles)).toEqual([
      "viewer",
      "editor",
      "approver",
      "admin",
    ]);
    expect(lib.hasRole("approver", "editor")).toBe(true);
    expect(lib.hasRole("editor", "approver")).toBe(false);
    expect(lib.hasRole(undefined, "viewer")).toBe(false);
    expect(lib.isRole("admin")).toBe(true);
    expect(lib.isRole("owner")).toBe(false);
  });

  it("run statuses: the same values and order as Prisma's RunStatus and the engine's", () => {
    expect(lib.RUN_STATUSES).toEqual(Object.values(RunStatus));
    expect(lib.RUN_STATUSES).toEqual(engine.RUN_STATUSES);
    expectTypeOf<lib.RunStatus>().toEqualTypeOf<RunStatus>();
    expectTypeOf<lib.RunStatus>().toEqualTypeOf<engine.RunStatus>();
    expect([...lib.TERMINAL_RUN_STATUSES]).toEqual([...engine.TERMINAL_RUN_STATUSES]);
    for (const s of lib.RUN_STATUSES) {
      expect(lib.isTerminalRunStatus(s)).toBe(engine.isTerminalRun(s));
    }
    expect(lib.isTerminalRunStatus(undefined)).toBe(false);
    expect(lib.isTerminalRunStatus("no-such-status")).toBe(false);
  });

  it("attempt statuses: the engine's", () => {
    expectTypeOf<lib.AttemptStatus>().toEqualTypeOf<engine.AttemptStatus>();
    expectTypeOf<engine.AttemptRecord["status"]>().toEqualTypeOf<lib.AttemptStatus>();
  });
});
