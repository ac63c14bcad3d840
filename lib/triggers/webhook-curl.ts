/**
 * A ready-to-paste shell snippet that signs and sends one webhook delivery the way the server
 * checks it (`X-Trustflow-Signature: t=<unix>,v1=<hex HMAC-SHA256 of "<t>.<body>">`, README
 * "Running flows"): it needs `openssl`, `awk`, `date` and `curl`, as on any Linux or macOS shell.
 */

/** `text` as one single-quoted shell word (a `'` inside becomes `'\''`). */
export function shellQuote(text: string): string {
  return `'${text.replaceAll("'", `'\\''`)}'`;
}

/** What a webhook snippet sends, and where. */
export interface CurlOptions {
  /** The full URL of the flow's webhook, origin included. */
  url: string;
  /** The signing secret, or a placeholder the person replaces. */
  secret: string;
  /** The JSON body (the flow's inputs). */
  body: string;
  /** Wait for the run and answer with its output (`?wait=1`). Default true. */
  wait?: boolean;
}

/**
 * The snippet: the secret and body in shell variables, the signature computed at the moment it
 * runs (the server accepts five minutes of clock skew, and each signed content once: run it a
 * second later, or change the body, for another delivery).
 */
export function signedCurl({ url, secret, body, wait = true }: CurlOptions): string {
  const target = wait ? `${url}${url.includes("?") ? "&" : "?"}wait=1` : url;
  return [
    `SECRET=${shellQuote(secret)}`,
    `BODY=${shellQuote(body)}`,
    `T=$(date +%s)`,
    `SIG=$(printf '%s' "$T.$BODY" | openssl dgst -sha256 -hmac "$SECRET" | awk '{print $NF}')`,
    `curl -sS -X POST ${shellQuote(target)} \\`,
    `  -H 'Content-Type: application/json' \\`,
    `  -H "X-Trustflow-Signature: t=$T,v1=$SIG" \\`,
    `  --data-raw "$BODY"`,
  ].join("\n");
}
