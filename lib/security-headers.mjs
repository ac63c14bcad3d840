// HTTP hardening headers, shared by next.config.js (every response Next.js serves), proxy.ts (the
// pages' Content-Security-Policy with a per-request nonce, HSTS) and scripts/serve.mjs (the
// webhook answers it writes itself, HSTS). Plain JavaScript: next.config.js and serve.mjs load it
// without a compiler. See SECURITY.md, "HTTP hardening".

/** On every response. */
export const SECURITY_HEADERS = [
  { key: "X-Content-Type-Options", value: "nosniff" },
  { key: "Referrer-Policy", value: "strict-origin-when-cross-origin" },
  {
    key: "Permissions-Policy",
    value: [
      "camera=()",
      "microphone=()",
      "geolocation=()",
      "payment=()",
      "usb=()",
      "serial=()",
      "hid=()",
      "midi=()",
      "magnetometer=()",
      "gyroscope=()",
      "accelerometer=()",
      "display-capture=()",
      "browsing-topics=()",
    ].join(", "),
  },
  // For browsers without CSP `frame-ancestors`.
  { key: "X-Frame-Options", value: "DENY" },
  { key: "Cross-Origin-Opener-Policy", value: "same-origin" },
];

/** API answers are data, never documents: nothing may load or frame them. */
export const API_CSP =
  "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'";

/**
 * The pages' policy. Scripts: our own origin plus inline scripts carrying this request's nonce
 * (Next.js reads the nonce from the request's CSP header and puts it on its inline scripts), so an
 * injected `<script>` or event handler does not run. 'unsafe-eval' stays: the flow compiler runs
 * in the browser and checks block and input schemas with Ajv, which compiles each schema to a
 * function; dropping it needs precompiled (standalone) validators. Styles: 'unsafe-inline',
 * because Monaco and React Flow inject style elements and attributes without a nonce (a nonce
 * would disable 'unsafe-inline'); CSS cannot run script. Workers: our own worker bundles (Monaco,
 * monaco-yaml) and blob: ones. Development adds the HMR websocket.
 */
export function pageCsp(nonce, { dev = false } = {}) {
  return [
    "default-src 'self'",
    `script-src 'self' 'nonce-${nonce}' 'unsafe-eval'`,
    "style-src 'self' 'unsafe-inline'",
    "img-src 'self' data: blob:",
    "font-src 'self' data:",
    `connect-src 'self'${dev ? " ws: wss:" : ""}`,
    "worker-src 'self' blob:",
    "frame-src 'none'",
    "object-src 'none'",
    "base-uri 'self'",
    "form-action 'self'",
    "frame-ancestors 'none'",
  ].join("; ");
}

/** HSTS, only when the studio's public URL is https (a plain-http install must stay reachable). */
export function hstsHeader(publicUrl) {
  if (!publicUrl) return null;
  try {
    return new URL(publicUrl).protocol === "https:" ? "max-age=31536000; includeSubDomains" : null;
  } catch {
    return null;
  }
}
