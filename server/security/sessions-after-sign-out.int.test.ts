import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Database } from "@/server/adapters/prisma";
import { authHarness, sessionCookie } from "@/server/testing/auth-harness";
import { callerFor, makeUser } from "@/server/testing/fixtures";
import { openTestDatabase } from "@/server/testing/test-database";
import { createContextInner } from "@/server/trpc/init";
import { createCaller } from "@/server/trpc/root";

/**
 * Attack: someone copies a session cookie (a shared computer, a leaked HAR file, malware) and
 * keeps using it after its owner signed out or changed the password. The JWT cookie alone used
 * to be valid for 12 hours whatever happened; now it names a server-side session that ends on
 * sign-out, on a password change, when ended from the session list, after idling and at its
 * absolute expiry, and every session read checks it.
 */
let db: Database;
beforeAll(async () => {
  db = await openTestDatabase();
});
afterAll(() => db?.close());

const PASSWORD = "correct horse battery";
const peer = (addr: string) => ({ "x-trustflow-peer": addr, "user-agent": "test-browser" });

describe("sessions alive after sign-out", () => {
  it("a stolen session cookie stops working once its owner signs out", async () => {
    const { user } = await makeUser(db.prisma, "victim");
    const h = authHarness(db.prisma);
    const browser: Record<string, string> = {};
    expect(await h.signIn(browser, user.email, PASSWORD, peer("192.0.2.10"))).toEqual({
      ok: true,
      error: null,
    });
    const stolen = { ...browser }; // the attacker's copy of the cookie
    expect((await h.session(stolen))?.user?.email).toBe(user.email);

    await h.signOut(browser);
    expect(sessionCookie(browser)).toBeUndefined();
    // The copy is a well-formed, unexpired JWT, but its session has ended.
    expect(sessionCookie(stolen)).toBeDefined();
    expect(await h.session(stolen)).toBeNull();
    const row = await db.prisma.userSession.findFirstOrThrow({ where: { userId: user.id } });
    expect(row.revokedAt).not.toBeNull();
    expect(row.address).toBe("192.0.2.10");
    // Nothing else changed: the account still signs in normally.
    expect((await h.signIn({}, user.email, PASSWORD)).ok).toBe(true);
  });

  it("a password change ends every session, including the ones elsewhere", async () => {
    const { user } = await makeUser(db.prisma, "changer");
    const h = authHarness(db.prisma);
    const laptop: Record<string, string> = {};
    const phone: Record<string, string> = {};
    await h.signIn(laptop, user.email, PASSWORD, peer("192.0.2.20"));
    await h.signIn(phone, user.email, PASSWORD, peer("192.0.2.21"));
    const current = await db.prisma.userSession.findFirstOrThrow({
      where: { userId: user.id, address: "192.0.2.20" },
    });
    const caller = createCaller(
      createContextInner({ db: db.prisma, user, sessionId: current.id, address: "192.0.2.20" }),
    );
    await expect(
      caller.auth.changePassword({ currentPassword: "wrong password!", newPassword: "x" }),
    ).rejects.toMatchObject({ code: "BAD_REQUEST" });
    await expect(
      caller.auth.changePassword({
        currentPassword: "not the password",
        newPassword: "lantern otter quietly 42",
      }),
    ).rejects.toMatchObject({ code: "BAD_REQUEST", message: "The current password is wrong." });
    // Refused attempts changed nothing.
    expect(await h.session(phone)).not.toBeNull();

    const res = await caller.auth.changePassword({
      currentPassword: PASSWORD,
      newPassword: "lantern otter quietly 42",
    });
    expect(res.sessionsEnded).toBe(2);
    expect(await h.session(laptop)).toBeNull();
    expect(await h.session(phone)).toBeNull();
    const stored = await db.prisma.user.findUniqueOrThrow({ where: { id: user.id } });
    expect(stored.passwordChangedAt).not.toBeNull();
    expect((await h.signIn({}, user.email, PASSWORD)).ok).toBe(false);
    expect((await h.signIn({}, user.email, "lantern otter quietly 42")).ok).toBe(true);
  });

  it("the new password must pass the policy, field by field", async () => {
    const { user } = await makeUser(db.prisma, "weakchange");
    const caller = callerFor(db.prisma, user);
    await expect(
      caller.auth.changePassword({ currentPassword: PASSWORD, newPassword: "password1234" }),
    ).rejects.toMatchObject({ code: "BAD_REQUEST", message: expect.stringMatching(/common/) });
    const stored = await db.prisma.user.findUniqueOrThrow({ where: { id: user.id } });
    expect(stored.passwordChangedAt).toBeNull();
  });

  it("ends one session from the list, and every session with 'sign out everywhere'", async () => {
    const { user } = await makeUser(db.prisma, "lister");
    const h = authHarness(db.prisma);
    const a: Record<string, string> = {};
    const b: Record<string, string> = {};
    const c: Record<string, string> = {};
    for (const [jar, addr] of [
      [a, "192.0.2.30"],
      [b, "192.0.2.31"],
      [c, "192.0.2.32"],
    ] as const) {
      await h.signIn(jar, user.email, PASSWORD, peer(addr));
    }
    const mine = callerFor(db.prisma, user);
    const listed = await mine.auth.sessions();
    expect(listed.map((s) => s.address).sort()).toEqual(["192.0.2.30", "192.0.2.31", "192.0.2.32"]);
    // Another user cannot end these sessions.
    const other = await makeUser(db.prisma, "intruder");
    const target = listed.find((s) => s.address === "192.0.2.31")!;
    expect(
      await callerFor(db.prisma, other.user).auth.revokeSession({ sessionId: target.id }),
    ).toEqual({ revoked: 0 });
    expect(await h.session(b)).not.toBeNull();

    expect(await mine.auth.revokeSession({ sessionId: target.id })).toEqual({ revoked: 1 });
    expect(await h.session(b)).toBeNull();
    expect(await h.session(a)).not.toBeNull();
    expect(await mine.auth.signOutEverywhere()).toEqual({ revoked: 2 });
    expect(await h.session(a)).toBeNull();
    expect(await h.session(c)).toBeNull();
  });

  it("a session ends after idling and at its absolute expiry, whatever the cookie says", async () => {
    const { user } = await makeUser(db.prisma, "idler");
    const h = authHarness(db.prisma, { sessions: { idleMinutes: 120, maxHours: 12 } });
    const idle: Record<string, string> = {};
    await h.signIn(idle, user.email, PASSWORD);
    h.advance(119 * 60_000);
    expect(await h.session(idle)).not.toBeNull(); // used within the idle limit: still alive
    h.advance(121 * 60_000);
    expect(await h.session(idle)).toBeNull();

    const busy: Record<string, string> = {};
    await h.signIn(busy, user.email, PASSWORD);
    const row = () =>
      db.prisma.userSession.findFirstOrThrow({
        where: { userId: user.id, revokedAt: null },
        orderBy: { createdAt: "desc" },
      });
    const seen = (await row()).lastSeenAt.getTime();
    h.advance(30_000);
    await h.session(busy);
    expect((await row()).lastSeenAt.getTime()).toBe(seen); // written at most once a minute
    h.advance(31_000);
    await h.session(busy);
    expect((await row()).lastSeenAt.getTime()).toBeGreaterThan(seen);
    // Active every hour, yet over at 12 hours after sign-in.
    for (let hour = 1; hour < 12; hour++) {
      h.advance(60 * 60_000);
      expect(await h.session(busy)).not.toBeNull();
    }
    h.advance(60 * 60_000);
    expect(await h.session(busy)).toBeNull();
  });

  it("a cookie without a server-side session (made before this change, or forged) is no session", async () => {
    const { user } = await makeUser(db.prisma, "legacy");
    const h = authHarness(db.prisma);
    const jar: Record<string, string> = {};
    await h.signIn(jar, user.email, PASSWORD);
    await db.prisma.userSession.deleteMany({ where: { userId: user.id } });
    expect(await h.session(jar)).toBeNull();
  });
});
