import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Database } from "@/server/adapters/prisma";
import { Authenticator } from "@/server/domain/auth/authenticate";
import { authHarness } from "@/server/testing/auth-harness";
import { makeUser } from "@/server/testing/fixtures";
import { openTestDatabase } from "@/server/testing/test-database";

/**
 * Attack: anyone who knows an email could lock its owner out by failing to sign in a few times
 * (the old per-email lockout refused even the right password, from anywhere, for 15 minutes).
 * Now failures slow down only the (email, address) pair that fails, exponentially; the owner
 * signing in from another address gets in at once; one address failing across many emails
 * (credential stuffing) is still stopped.
 */
let db: Database;
let owner: Awaited<ReturnType<typeof makeUser>>;
beforeAll(async () => {
  db = await openTestDatabase();
  owner = await makeUser(db.prisma, "owner");
});
afterAll(() => db?.close());

const PASSWORD = "correct horse battery";
const limits = { freeAttempts: 3, maxDelaySeconds: 8, addressMaxFailures: 10, windowSeconds: 900 };
const from = (address: string) => ({ "x-trustflow-peer": address });

describe("lockout of the owner", () => {
  it("failures from an attacker's address never lock the owner out elsewhere", async () => {
    const h = authHarness(db.prisma, { limits });
    const before = await db.prisma.user.findUniqueOrThrow({ where: { id: owner.user.id } });
    const errors: string[] = [];
    // The attacker guesses; once delayed, keeps hammering (refused without a password check).
    for (let i = 0; i < 9; i++) {
      const res = await h.signIn({}, owner.user.email, `guess number ${i}`, from("203.0.113.66"));
      expect(res.ok).toBe(false);
      errors.push(res.error!);
    }
    expect(errors.slice(0, 3)).toEqual(Array(3).fill("Wrong email or password."));
    expect(errors[3]).toBe("Wrong email or password. Try again in 1 s.");
    expect(errors.slice(4)).toEqual(
      Array(5).fill("Too many failed sign-in attempts. Try again in 1 s."),
    );
    // Even the right password waits out the back-off from the attacker's address…
    expect((await h.signIn({}, owner.user.email, PASSWORD, from("203.0.113.66"))).error).toBe(
      "Too many failed sign-in attempts. Try again in 1 s.",
    );
    // …and rotating X-Forwarded-For does not make it another address (no TRUST_PROXY).
    expect(
      (
        await h.signIn({}, owner.user.email, PASSWORD, {
          ...from("203.0.113.66"),
          "x-forwarded-for": "198.51.100.1",
        })
      ).error,
    ).toBe("Too many failed sign-in attempts. Try again in 1 s.");
    // The owner, from their own address, signs in at once.
    expect(await h.signIn({}, owner.user.email, PASSWORD, from("192.0.2.1"))).toEqual({
      ok: true,
      error: null,
    });
    // Nothing about the account changed.
    const after = await db.prisma.user.findUniqueOrThrow({ where: { id: owner.user.id } });
    expect(after).toEqual(before);
  });

  it("the wait doubles with each further failure, up to the cap", async () => {
    const auth = new Authenticator(db.prisma, limits);
    const waits: string[] = [];
    for (let i = 0; i < 8; i++) {
      const err = await auth.authenticate(owner.user.email, "nope", `198.51.100.${i + 1}`).then(
        () => null,
        (e: Error) => e.message,
      );
      expect(err).toBe("Wrong email or password.");
    }
    // Each failure above came from its own address: none of them was delayed. One address now:
    for (let i = 0; i < 8; i++) {
      const err = (await auth
        .authenticate(owner.user.email, "nope", "198.51.100.200")
        .catch((e: Error) => e)) as Error & { details?: { retryAfterMs?: number } };
      waits.push(err.message);
      // Let the wait pass without sleeping: forget the pair's current delay, keep its count.
      await (
        auth as unknown as { pairDelay: { delete(k: string): Promise<boolean> } }
      ).pairDelay.delete(JSON.stringify([owner.user.email, "198.51.100.200"]));
    }
    expect(waits).toEqual([
      "Wrong email or password.",
      "Wrong email or password.",
      "Wrong email or password.",
      "Wrong email or password. Try again in 1 s.",
      "Wrong email or password. Try again in 2 s.",
      "Wrong email or password. Try again in 4 s.",
      "Wrong email or password. Try again in 8 s.",
      "Wrong email or password. Try again in 8 s.", // the cap
    ]);
  });

  it("credential stuffing: one address failing across many emails is stopped for all of them", async () => {
    const auth = new Authenticator(db.prisma, limits);
    for (let i = 0; i < 10; i++) {
      await expect(
        auth.authenticate(`victim-${i}@example.test`, "Summer2026!", "203.0.113.77"),
      ).rejects.toMatchObject({ code: "UNAUTHENTICATED" });
    }
    await expect(
      auth.authenticate(owner.user.email, PASSWORD, "203.0.113.77"),
    ).rejects.toMatchObject({
      code: "RATE_LIMITED",
      message: "Too many failed sign-ins from your network. Try again in 15 minutes.",
    });
    // Other addresses are unaffected.
    await expect(auth.authenticate(owner.user.email, PASSWORD, "192.0.2.2")).resolves.toMatchObject(
      {
        id: owner.user.id,
      },
    );
  });

  it("a success clears the pair's count", async () => {
    const auth = new Authenticator(db.prisma, limits);
    for (let round = 0; round < 3; round++) {
      for (let i = 0; i < 3; i++) {
        await expect(
          auth.authenticate(owner.user.email, "typo", "192.0.2.3"),
        ).rejects.toMatchObject({ message: "Wrong email or password." });
      }
      await expect(
        auth.authenticate(owner.user.email, PASSWORD, "192.0.2.3"),
      ).resolves.toBeTruthy();
    }
  });
});
