import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Database } from "@/server/adapters/prisma";
import { callerFor, makeUser } from "@/server/testing/fixtures";
import { openTestDatabase } from "@/server/testing/test-database";
import { createContextInner } from "@/server/trpc/init";
import { createCaller } from "@/server/trpc/root";
import { authenticateApiToken } from "../token/api-tokens";
import { Authenticator, backoffSeconds } from "./authenticate";
import { SIGN_UP_ANSWER } from "./sign-up";

let db: Database;
let u: Awaited<ReturnType<typeof makeUser>>;
beforeAll(async () => {
  db = await openTestDatabase();
  u = await makeUser(db.prisma, "auth");
});
afterAll(() => db?.close());

describe("sign-in", () => {
  it("accepts the right password and refuses a wrong one", async () => {
    const auth = new Authenticator(db.prisma);
    await expect(auth.authenticate(u.user.email, "correct horse battery")).resolves.toMatchObject({
      id: u.user.id,
    });
    await expect(auth.authenticate(u.user.email, "wrong password")).rejects.toMatchObject({
      code: "UNAUTHENTICATED",
      message: "Wrong email or password.",
    });
    await expect(auth.authenticate("nobody@example.test", "whatever")).rejects.toMatchObject({
      code: "UNAUTHENTICATED",
    });
  });

  it("backs off exponentially per (email, address) after the free attempts", async () => {
    const auth = new Authenticator(db.prisma, {
      freeAttempts: 2,
      maxDelaySeconds: 600,
      addressMaxFailures: 100,
      windowSeconds: 900,
    });
    for (let i = 0; i < 2; i++) {
      await expect(auth.authenticate(u.user.email, "nope", "1.2.3.4")).rejects.toMatchObject({
        code: "UNAUTHENTICATED",
        message: "Wrong email or password.",
      });
    }
    await expect(auth.authenticate(u.user.email, "nope", "1.2.3.4")).rejects.toMatchObject({
      code: "UNAUTHENTICATED",
      message: "Wrong email or password. Try again in 1 s.",
    });
    await expect(
      auth.authenticate(u.user.email, "correct horse battery", "1.2.3.4"),
    ).rejects.toMatchObject({
      code: "RATE_LIMITED",
      message: "Too many failed sign-in attempts. Try again in 1 s.",
    });
  });

  it("computes the back-off: free attempts, then 1, 2, 4, … s up to the cap", () => {
    const limits = {
      freeAttempts: 3,
      maxDelaySeconds: 10,
      addressMaxFailures: 1,
      windowSeconds: 1,
    };
    expect([1, 2, 3, 4, 5, 6, 7, 8, 40].map((f) => backoffSeconds(f, limits))).toEqual([
      0, 0, 0, 1, 2, 4, 8, 10, 10,
    ]);
  });

  it("answers a second sign-up for the same email like a first one", async () => {
    const caller = createCaller(createContextInner({ db: db.prisma }));
    await expect(
      caller.auth.signUp({
        email: u.user.email.toUpperCase(),
        name: "Dup",
        password: "long enough password",
      }),
    ).resolves.toEqual(SIGN_UP_ANSWER);
    expect(await db.prisma.user.count({ where: { email: u.user.email } })).toBe(1);
  });
});

describe("API tokens", () => {
  it("authenticates with the secret shown once, stores only its hash, and stops after revocation", async () => {
    const admin = callerFor(db.prisma, u.user);
    const created = await admin.token.create({ name: "ci", scopes: ["admin"] });
    expect(created.secret).toMatch(/^tf_/);
    const stored = await db.prisma.apiToken.findUniqueOrThrow({ where: { id: created.id } });
    expect(JSON.stringify(stored)).not.toContain(created.secret);
    const actor = await authenticateApiToken(db.prisma, created.secret);
    expect(actor).toMatchObject({ workspaceId: u.workspace.id, role: "admin", via: "token" });
    const viaToken = createCaller(createContextInner({ db: db.prisma, tokenActor: actor }));
    await expect(viaToken.workflow.create({ name: "Made by token" })).resolves.toMatchObject({
      name: "Made by token",
    });
    expect((await admin.token.list()).find((t) => t.id === created.id)).not.toHaveProperty(
      "secret",
    );
    await admin.token.revoke({ id: created.id });
    expect(await authenticateApiToken(db.prisma, created.secret)).toBeNull();
    expect(await authenticateApiToken(db.prisma, "tf_unknown")).toBeNull();
  });

  it("a token cannot act in another workspace", async () => {
    const other = await makeUser(db.prisma, "other");
    const created = await callerFor(db.prisma, u.user).token.create({ name: "scoped" });
    const actor = await authenticateApiToken(db.prisma, created.secret);
    const caller = createCaller(
      createContextInner({ db: db.prisma, tokenActor: actor, workspaceId: other.workspace.id }),
    );
    await expect(caller.workflow.list()).rejects.toMatchObject({ code: "FORBIDDEN" });
  });
});
