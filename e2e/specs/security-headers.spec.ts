import http from "node:http";
import type { AddressInfo } from "node:net";
import type { APIRequestContext, Page, Response } from "@playwright/test";
import { expect, test } from "../fixtures";
import { StudioPage } from "../pages/studio.page";

/**
 * Attacks: missing headers (the studio could be framed, sniffed, or run injected inline script)
 * and CSRF through form posts (another site's page posting to a tRPC mutation with the victim's
 * cookie). Every page and API answer carries the hardening headers; the pages' CSP, with a
 * per-request nonce, still lets the studio (Monaco, its workers, the canvas) run without a single
 * violation; a cross-origin form post to a mutation is refused and changes nothing.
 */

function expectHardened(res: Response | null, what: string) {
  expect(res, what).not.toBeNull();
  const h = res!.headers();
  expect(h["x-content-type-options"], what).toBe("nosniff");
  expect(h["referrer-policy"], what).toBe("strict-origin-when-cross-origin");
  expect(h["permissions-policy"], what).toContain("camera=()");
  expect(h["permissions-policy"], what).toContain("microphone=()");
  expect(h["permissions-policy"], what).toContain("geolocation=()");
  expect(h["content-security-policy"], what).toContain("frame-ancestors 'none'");
  // Served over plain http here: no HSTS (it would lock a plain-http install out).
  expect(h["strict-transport-security"], what).toBeUndefined();
  return h["content-security-policy"]!;
}

/** Collects CSP violations: the console's reports and the DOM's `securitypolicyviolation`. */
async function watchCsp(page: Page) {
  const violations: string[] = [];
  page.on("console", (m) => {
    if (/Content Security Policy|Content-Security-Policy|Permissions-Policy/i.test(m.text()))
      violations.push(m.text());
  });
  await page.addInitScript(() => {
    document.addEventListener("securitypolicyviolation", (e) => {
      console.error(
        `Content Security Policy violation: ${e.violatedDirective} blocked ${e.blockedURI}`,
      );
    });
  });
  return violations;
}

async function mutate<T>(request: APIRequestContext, path: string, input: unknown): Promise<T> {
  const res = await request.post(`/api/trpc/${path}`, { data: { json: input } });
  expect(res.ok(), `${path}: ${res.status()} ${await res.text()}`).toBe(true);
  return ((await res.json()) as { result: { data: { json: T } } }).result.data.json;
}

async function workflowNames(request: APIRequestContext): Promise<string[]> {
  const res = await request.get(
    `/api/trpc/workflow.list?input=${encodeURIComponent(JSON.stringify({ json: {} }))}`,
  );
  expect(res.ok(), `workflow.list: ${res.status()} ${await res.text()}`).toBe(true);
  const data = ((await res.json()) as { result: { data: { json: unknown } } }).result.data.json;
  const list = (Array.isArray(data) ? data : ((data as { items?: unknown[] }).items ?? [])) as {
    name: string;
  }[];
  return list.map((w) => w.name);
}

test.describe("missing headers", () => {
  test("every main page carries the hardening headers and a nonce CSP, without violations", async ({
    page,
    signedInUser: _user,
  }) => {
    test.setTimeout(120_000);
    const violations = await watchCsp(page);
    const nonces = new Set<string>();
    for (const path of ["/workflows", "/runs", "/connectors", "/settings", "/audit"]) {
      const res = await page.goto(path);
      const csp = expectHardened(res, path);
      const nonce = /'nonce-([^']+)'/.exec(csp)?.[1];
      expect(nonce, `${path}: script-src nonce`).toBeTruthy();
      // Inline script only with the nonce ('unsafe-eval' stays for the in-browser compiler's
      // Ajv: lib/security-headers.mjs).
      expect(csp).toMatch(/script-src 'self' 'nonce-[^']+'( 'unsafe-eval')?(;|$)/);
      expect(csp).not.toMatch(/script-src[^;]*'unsafe-inline'/);
      nonces.add(nonce!);
      await expect(page.getByRole("main")).toBeVisible();
    }
    // A fresh nonce per request.
    expect(nonces.size).toBe(5);
    expect(violations).toEqual([]);
  });

  test("the studio runs Monaco, its workers and the canvas under the CSP", async ({
    page,
    signedInUser: _user,
  }) => {
    test.setTimeout(120_000);
    const violations = await watchCsp(page);
    const wf = await mutate<{ id: string }>(page.request, "workflow.createFromTemplate", {
      name: "CSP journey",
      template: "quote-to-cash",
    });
    const documents: Response[] = [];
    page.on("response", (r) => {
      if (r.request().resourceType() === "document") documents.push(r);
    });
    const studio = new StudioPage(page);
    await studio.open(wf.id, "CSP journey");
    await studio.canvas.expectNode("contract");
    // monaco-yaml's language service answers from its worker.
    await studio.editor.expectHover("sla", /Resilience tier/);
    expectHardened(documents[0] ?? null, "studio page");
    expect(violations).toEqual([]);
  });

  test("API answers and the sign-in page carry the headers too", async ({ request, browser }) => {
    const health = await request.get("/api/health");
    const h = health.headers();
    expect(h["x-content-type-options"]).toBe("nosniff");
    expect(h["content-security-policy"]).toContain("default-src 'none'");
    expect(h["content-security-policy"]).toContain("frame-ancestors 'none'");
    expect(h["referrer-policy"]).toBe("strict-origin-when-cross-origin");
    const trpc = await request.get("/api/trpc/auth.me");
    expect(trpc.headers()["x-content-type-options"]).toBe("nosniff");
    expect(trpc.headers()["content-security-policy"]).toContain("default-src 'none'");

    const context = await browser.newContext();
    const anonymous = await context.newPage();
    const violations = await watchCsp(anonymous);
    expectHardened(await anonymous.goto("/sign-in"), "/sign-in");
    await expect(anonymous.getByRole("heading", { name: "Sign in to Trustflow" })).toBeVisible();
    expect(violations).toEqual([]);
    await context.close();
  });
});

test.describe("CSRF through form posts", () => {
  test("another origin's form post to a tRPC mutation is refused and changes nothing", async ({
    page,
    signedInUser: _user,
    baseURL,
  }) => {
    // The attacker's page: another origin on the same host (same site, so the browser even sends
    // the session cookie), auto-submitting a text/plain form shaped like a tRPC JSON body.
    const target = new URL("/api/trpc/workflow.create", baseURL).toString();
    const evil = http.createServer((_req, res) => {
      res.writeHead(200, { "content-type": "text/html" });
      res.end(`<!doctype html><title>win a prize</title>
<form id="f" method="post" enctype="text/plain" action="${target}">
<input type="hidden" name='{"json":{"name":"Forged by form","x":"' value='"}}'>
</form>
<script>document.getElementById("f").submit()</script>`);
    });
    await new Promise<void>((resolve) => evil.listen(0, "127.0.0.1", resolve));
    const port = (evil.address() as AddressInfo).port;
    const host = new URL(baseURL!).hostname;
    try {
      const before = await workflowNames(page.request);
      const [answer] = await Promise.all([
        page.waitForResponse((r) => r.url() === target && r.request().method() === "POST"),
        page.goto(`http://${host}:${port}/`),
      ]);
      expect(answer.status()).toBe(403);
      expect(await answer.text()).toMatch(/Cross-(site|origin) request refused/);
      const after = await workflowNames(page.request);
      expect(after).toEqual(before);
      expect(after).not.toContain("Forged by form");
    } finally {
      await new Promise((resolve) => evil.close(resolve));
    }
    // The studio's own JSON calls still work.
    await page.goto("/workflows");
    const made = await page.evaluate(async () => {
      const res = await fetch("/api/trpc/workflow.create", {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ json: { name: "Same origin" } }),
      });
      return res.status;
    });
    expect(made).toBe(200);
    expect(await workflowNames(page.request)).toContain("Same origin");
  });
});
