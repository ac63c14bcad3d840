import "server-only";
import type { NextAuthOptions } from "next-auth";
import CredentialsProvider from "next-auth/providers/credentials";
import { Authenticator } from "@/server/domain/auth/authenticate";
import { ZSignInInput } from "@/server/domain/auth/schemas";
import { AppError } from "@/server/domain/errors";
import { database } from "@/server/db";
import { env } from "@/server/env";
import { logger } from "@/server/logger";

const g = globalThis as unknown as { __trustflowAuthenticator?: Promise<Authenticator> };

function authenticator(): Promise<Authenticator> {
  g.__trustflowAuthenticator ??= database().then(
    (db) =>
      new Authenticator(db.prisma, {
        maxAttempts: env().SIGNIN_MAX_ATTEMPTS,
        lockoutSeconds: env().SIGNIN_LOCKOUT_SECONDS,
      }),
  );
  return g.__trustflowAuthenticator;
}

function clientIp(headers: Record<string, unknown> | undefined): string {
  const fwd = headers?.["x-forwarded-for"];
  if (typeof fwd === "string" && fwd) return fwd.split(",")[0]!.trim();
  return "local";
}

export const authOptions: NextAuthOptions = {
  session: { strategy: "jwt", maxAge: 60 * 60 * 12 },
  pages: { signIn: "/sign-in", signOut: "/sign-out", error: "/sign-in" },
  providers: [
    CredentialsProvider({
      name: "Email and password",
      credentials: {
        email: { label: "Email", type: "email" },
        password: { label: "Password", type: "password" },
      },
      async authorize(credentials, req) {
        const parsed = ZSignInInput.safeParse(credentials ?? {});
        if (!parsed.success) throw new Error("Enter your email and password.");
        try {
          const auth = await authenticator();
          return await auth.authenticate(
            parsed.data.email,
            parsed.data.password,
            clientIp(req?.headers as Record<string, unknown> | undefined),
          );
        } catch (err) {
          // next-auth passes the message of a thrown Error to the sign-in page.
          if (err instanceof AppError) throw new Error(err.userMessage);
          logger().error({ err }, "sign-in failed");
          throw new Error("Sign-in is unavailable right now. Try again shortly.");
        }
      },
    }),
  ],
  callbacks: {
    jwt({ token, user }) {
      if (user) {
        token.sub = user.id;
        token.email = user.email;
        token.name = user.name;
      }
      return token;
    },
    session({ session, token }) {
      if (session.user && token.sub) (session.user as { id?: string }).id = token.sub;
      return session;
    },
  },
  logger: {
    error: (code, metadata) => logger().warn({ code, metadata }, "next-auth"),
    warn: (code) => logger().warn({ code }, "next-auth"),
    debug: () => undefined,
  },
};
