/**
 * Cross-site request forgery guard for cookie-authenticated state changes (tRPC mutations).
 *
 * A browser attaches the session cookie to any request to our origin, including a
 * `<form method=post enctype=text/plain>` submitted from another site. Such a request is refused
 * when the browser says it is cross-site (`Sec-Fetch-Site` other than `same-origin` or `none`) or
 * its `Origin` is not ours (the public URL, `NEXTAUTH_URL`, or the origin the request was sent
 * to). Non-browser clients send neither header and are not a forgery vector. A request with
 * `Authorization: Bearer` authenticates with the token alone (the route never reads cookies for
 * it) and a form cannot set that header, so it skips the origin check. Every POST must also be
 * `Content-Type: application/json`, which no HTML form can send.
 */

export interface CsrfRefusal {
  status: 403 | 415;
  message: string;
}

const SAFE_METHODS = new Set(["GET", "HEAD", "OPTIONS"]);
const SAME_SITE_FETCH = new Set(["same-origin", "none"]);

/** The origins a same-origin request may carry: the public URL's and the one it was sent to. */
function ownOrigins(req: Request, publicUrl: string | undefined): Set<string> {
  const origins = new Set<string>();
  const add = (u: string | undefined | null) => {
    if (!u) return;
    try {
      origins.add(new URL(u).origin);
    } catch {
      /* not a URL: ignored */
    }
  };
  add(publicUrl);
  const url = new URL(req.url);
  add(url.origin);
  const host = req.headers.get("host");
  if (host) add(`${url.protocol}//${host}`);
  return origins;
}

/** Null when the request may proceed, else the refusal to answer with. */
export function checkCrossSiteRequest(
  req: Request,
  opts: { publicUrl?: string } = {},
): CsrfRefusal | null {
  if (SAFE_METHODS.has(req.method.toUpperCase())) return null;
  const bearer = /^bearer\s/i.test(req.headers.get("authorization") ?? "");
  if (!bearer) {
    const site = req.headers.get("sec-fetch-site");
    if (site !== null && !SAME_SITE_FETCH.has(site.toLowerCase())) {
      return {
        status: 403,
        message: `Cross-site request refused (Sec-Fetch-Site: ${site.slice(0, 40)}): changes are accepted only from the studio's own pages or with an API token.`,
      };
    }
    const origin = req.headers.get("origin");
    if (origin !== null && !ownOrigins(req, opts.publicUrl).has(origin)) {
      return {
        status: 403,
        message: `Cross-origin request refused (Origin: ${origin.slice(0, 100)}): changes are accepted only from the studio's own pages or with an API token.`,
      };
    }
  }
  const type = (req.headers.get("content-type") ?? "").split(";")[0]!.trim().toLowerCase();
  if (type !== "application/json") {
    return {
      status: 415,
      message: "Send mutations as Content-Type: application/json.",
    };
  }
  return null;
}

/** The refusal as a tRPC-shaped JSON error response. */
export function csrfResponse(refusal: CsrfRefusal): Response {
  return Response.json(
    {
      error: {
        message: refusal.message,
        code: refusal.status === 403 ? "FORBIDDEN" : "UNSUPPORTED_MEDIA_TYPE",
      },
    },
    { status: refusal.status, headers: { "cache-control": "no-store" } },
  );
}
