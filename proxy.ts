import { NextResponse, type NextRequest } from "next/server";
import { hstsHeader, pageCsp } from "./lib/security-headers.mjs";

/**
 * Pages get a Content-Security-Policy with a fresh nonce per request: Next.js reads it from the
 * request's `Content-Security-Policy` header and puts it on the inline scripts it renders (every
 * page renders per request: app/layout.tsx). The headers every response carries come from
 * next.config.js; API routes have their own strict policy there and are not matched here (a
 * proxy would buffer their request bodies).
 */
export function proxy(request: NextRequest) {
  const nonce = Buffer.from(crypto.getRandomValues(new Uint8Array(18))).toString("base64");
  const csp = pageCsp(nonce, { dev: process.env.NODE_ENV === "development" });
  const requestHeaders = new Headers(request.headers);
  requestHeaders.set("content-security-policy", csp);
  requestHeaders.set("x-nonce", nonce);
  const response = NextResponse.next({ request: { headers: requestHeaders } });
  response.headers.set("Content-Security-Policy", csp);
  const hsts = hstsHeader(process.env.NEXTAUTH_URL);
  if (hsts) response.headers.set("Strict-Transport-Security", hsts);
  return response;
}

export const config = {
  matcher: ["/((?!api/|_next/static/|_next/image|favicon.ico).*)"],
};
