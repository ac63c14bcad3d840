import { randomBytes } from "node:crypto";
import { createRequire } from "node:module";
import path from "node:path";
import type { NextAuthOptions } from "next-auth";
import { parseTrustProxy } from "@/server/auth/client-address";
import { createAuthOptions } from "@/server/auth/options";
import { Authenticator, type SignInLimits } from "@/server/domain/auth/authenticate";
import { DEFAULT_SESSION_LIMITS, type SessionLimits } from "@/server/domain/auth/sessions";
import type { Db } from "@/server/domain/types";

type Cookies = Record<string, string>;
type InternalResponse = { body?: unknown; cookies?: CookieOut[]; redirect?: string };

// next-auth's request handler, which its route handler and `getServerSession` both call. Not in
// the package's `exports`, so loaded by path.
const { AuthHandler } = createRequire(import.meta.url)(
  path.join(process.cwd(), "node_modules/next-auth/core/index.js"),
) as {
  AuthHandler: (p: { options: NextAuthOptions; req: unknown }) => Promise<InternalResponse>;
};
type CookieOut = { name: string; value: string; options?: { expires?: Date; maxAge?: number } };

/**
 * next-auth as the browser meets it, without HTTP: our real options (credentials provider,
 * `jwt` callback, sign-out event) driven through next-auth's own `AuthHandler`, on a test
 * database, with a clock the test moves. Cookies are plain name → value maps, so a test can
 * keep a copy of one ("steal" it) and present it later.
 */
export function authHarness(
  db: Db,
  opts: { limits?: SignInLimits; sessions?: SessionLimits; trustProxy?: string } = {},
) {
  let now = new Date();
  const auth = new Authenticator(db, opts.limits);
  const options = {
    ...createAuthOptions({
      db: async () => db,
      authenticator: () => auth,
      trustProxy: () => parseTrustProxy(opts.trustProxy),
      sessionLimits: () => opts.sessions ?? DEFAULT_SESSION_LIMITS,
      now: () => now,
    }),
    secret: randomBytes(32).toString("hex"),
  };
  const baseHeaders = { host: "localhost:3000", "x-forwarded-proto": "http" };

  function apply(jar: Cookies, out: CookieOut[] | undefined) {
    for (const c of out ?? []) {
      const expired =
        c.value === "" ||
        (c.options?.maxAge ?? 1) <= 0 ||
        (c.options?.expires?.getTime() ?? 1) <= 0;
      if (expired) delete jar[c.name];
      else jar[c.name] = c.value;
    }
    return jar;
  }

  async function handle(
    jar: Cookies,
    req: {
      action: string;
      method: "GET" | "POST";
      providerId?: string;
      body?: Record<string, string>;
      headers?: Record<string, string>;
    },
  ) {
    const res = await AuthHandler({
      options,
      req: {
        ...req,
        headers: { ...baseHeaders, ...req.headers },
        cookies: { ...jar },
        query: {},
      },
    });
    apply(jar, res.cookies);
    return res;
  }

  async function csrf(jar: Cookies) {
    const res = await handle(jar, { action: "csrf", method: "GET" });
    return (res.body as { csrfToken: string }).csrfToken;
  }

  return {
    options,
    /** Moves the clock the session checks use. */
    advance(ms: number) {
      now = new Date(now.getTime() + ms);
    },
    /**
     * Signs in through next-auth's credentials callback; the jar then holds the session cookie.
     * `headers` are the request's (e.g. the peer address). Returns next-auth's error, if any.
     */
    async signIn(
      jar: Cookies,
      email: string,
      password: string,
      headers: Record<string, string> = {},
    ): Promise<{ ok: boolean; error: string | null }> {
      const csrfToken = await csrf(jar);
      const res = await handle(jar, {
        action: "callback",
        providerId: "credentials",
        method: "POST",
        body: { csrfToken, email, password, json: "true" },
        headers,
      });
      const redirect = res.redirect ?? "";
      const error = new URL(redirect, "http://localhost:3000").searchParams.get("error");
      return { ok: !error && sessionCookie(jar) !== undefined, error };
    },
    /** What `getServerSession` would answer for a request with these cookies. */
    async session(jar: Cookies) {
      const res = await handle(jar, { action: "session", method: "GET" });
      const body = res.body as { user?: { id?: string; email?: string } } | undefined;
      return body && Object.keys(body).length > 0 ? body : null;
    },
    /** Signs out through next-auth's sign-out route (the CSRF-checked POST the browser sends). */
    async signOut(jar: Cookies) {
      const csrfToken = await csrf(jar);
      await handle(jar, { action: "signout", method: "POST", body: { csrfToken } });
    },
  };
}

export function sessionCookie(jar: Cookies): string | undefined {
  return jar["next-auth.session-token"];
}
