import { TRPCError } from "@trpc/server";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Database } from "@/server/adapters/prisma";
import { judgePassword } from "@/server/domain/auth/password-policy";
import { SIGN_UP_ANSWER } from "@/server/domain/auth/sign-up";
import { env } from "@/server/env";
import { authHarness } from "@/server/testing/auth-harness";
import { makeUser } from "@/server/testing/fixtures";
import { openTestDatabase } from "@/server/testing/test-database";
import { createContextInner } from "@/server/trpc/init";
import { createCaller } from "@/server/trpc/root";

/**
 * Attacks: (1) probing sign-up to learn which emails have accounts (it used to answer "An
 * account with this email already exists"), in bulk; (2) choosing a password found in every
 * breach list. Sign-up now answers the same for a new and an existing email and leaves the
 * existing account untouched, is throttled per client address, and refuses weak passwords
 * field by field.
 */
let db: Database;
let existing: Awaited<ReturnType<typeof makeUser>>;
beforeAll(async () => {
  db = await openTestDatabase();
  existing = await makeUser(db.prisma, "existing");
});
afterAll(() => db?.close());

const anonymous = (address: string) => createCaller(createContextInner({ db: db.prisma, address }));

async function accountState(email: string) {
  const user = await db.prisma.user.findUnique({ where: { email } });
  return {
    user,
    memberships: user ? await db.prisma.membership.findMany({ where: { userId: user.id } }) : [],
    workspaces: await db.prisma.workspace.count(),
    users: await db.prisma.user.count(),
  };
}

async function failure(p: Promise<unknown>) {
  const err = await p.then(
    () => null,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(TRPCError);
  return err as TRPCError & { cause?: { details?: { field?: string } } };
}

describe("weak passwords and sign-up enumeration", () => {
  it("a sign-up with an existing email answers exactly like a fresh one and changes nothing", async () => {
    const caller = anonymous("192.0.2.50");
    const before = await accountState(existing.user.email);
    const probe = await caller.auth.signUp({
      email: existing.user.email.toUpperCase(),
      name: "Mallory",
      password: "violet kettle drums at noon",
    });
    const fresh = await caller.auth.signUp({
      email: "brand-new@example.test",
      name: "Newcomer",
      password: "amber canyon whistles softly",
    });
    expect(probe).toEqual(SIGN_UP_ANSWER);
    expect(fresh).toEqual(SIGN_UP_ANSWER);
    expect(JSON.stringify(probe)).toBe(JSON.stringify(fresh));
    // The existing account is untouched: same row, same workspaces, no new account.
    const after = await accountState(existing.user.email);
    expect(after.user).toEqual(before.user);
    expect(after.memberships).toEqual(before.memberships);
    expect(after.users).toBe(before.users + 1); // only the fresh sign-up
    // The prober's password does not open the account; the owner's still does.
    const h = authHarness(db.prisma);
    expect((await h.signIn({}, existing.user.email, "violet kettle drums at noon")).ok).toBe(false);
    expect((await h.signIn({}, existing.user.email, "correct horse battery")).ok).toBe(true);
    expect((await h.signIn({}, "brand-new@example.test", "amber canyon whistles softly")).ok).toBe(
      true,
    );
  });

  it("refuses common, breached-list and personal passwords with a clear message on the field", async () => {
    const caller = anonymous("192.0.2.51");
    const before = await db.prisma.user.count();
    const cases: [string, RegExp][] = [
      ["password1234", /commonly used/],
      ["qwertyuiopasdf", /commonly used|keyboard/i],
      ["aaaaaaaaaaaaaaaa", /Repeated characters/],
      ["frank.weakling2026", /name or email|easy to guess/],
    ];
    for (const [password, message] of cases) {
      const err = await failure(
        caller.auth.signUp({
          email: "frank.weakling@example.test",
          name: "Frank Weakling",
          password,
        }),
      );
      expect(err.code, password).toBe("BAD_REQUEST");
      expect(err.message, password).toMatch(message);
      expect(err.message).toMatch(/Use a longer passphrase/);
      expect(err.cause?.details?.field).toBe("password");
    }
    const short = await failure(
      caller.auth.signUp({ email: "frank@example.test", name: "Frank", password: "Xy7#kq2!" }),
    );
    expect(short.code).toBe("BAD_REQUEST");
    expect(short.message).toMatch(/Use at least 12 characters\./);
    expect(await db.prisma.user.count()).toBe(before);
    expect(
      await db.prisma.user.findUnique({ where: { email: "frank.weakling@example.test" } }),
    ).toBeNull();
  });

  it("accepts a strong passphrase, and the policy judges long input in bounded time", () => {
    expect(judgePassword("lantern otter quietly 42", ["someone@example.test"]).ok).toBe(true);
    // 200 characters (the schema's maximum) are judged on their first 64: no quadratic blow-up.
    expect(judgePassword("a".repeat(200), []).ok).toBe(false);
  });

  it("sign-up is throttled per client address, and probing counts against it", async () => {
    const limit = env().SIGNUP_MAX_PER_HOUR;
    const prober = anonymous("203.0.113.90");
    const before = await db.prisma.user.count();
    for (let i = 0; i < limit; i++) {
      // Weak passwords are refused after the throttle counted the attempt: cheap probes count.
      const err = await failure(
        prober.auth.signUp({
          email: `probe-${i}@example.test`,
          name: "Probe",
          password: "password1234",
        }),
      );
      expect(err.code).toBe("BAD_REQUEST");
    }
    const refused = await failure(
      prober.auth.signUp({
        email: "probe-last@example.test",
        name: "Probe",
        password: "a perfectly fine passphrase",
      }),
    );
    expect(refused.code).toBe("TOO_MANY_REQUESTS");
    expect(refused.message).toMatch(
      new RegExp(
        `^Too many sign-ups from your network \\(at most ${limit} an hour\\)\\. Try again in \\d+ minutes\\.$`,
      ),
    );
    expect(await db.prisma.user.count()).toBe(before);
    // Another address still signs up.
    await expect(
      anonymous("192.0.2.52").auth.signUp({
        email: "someone-else@example.test",
        name: "Someone",
        password: "seven paper cranes drifting",
      }),
    ).resolves.toEqual(SIGN_UP_ANSWER);
  });
});
