/** Shared by the studio benchmarks: a headless Chromium page signed in as a fresh account. */
import { randomUUID } from "node:crypto";
import { chromium, type Browser, type Page } from "playwright-core";

/** A tRPC mutation over HTTP (`{ json: input }`), returning the result's data. */
export async function api<T>(page: Page, base: string, path: string, input: unknown): Promise<T> {
  const res = await page.request.post(`${base}/api/trpc/${path}`, { data: { json: input } });
  if (!res.ok()) throw new Error(`${path}: ${res.status()} ${await res.text()}`);
  return ((await res.json()) as { result: { data: { json: T } } }).result.data.json;
}

/** Launches /usr/bin/chromium (or CHROMIUM_PATH), signs up a fresh user and signs it in. */
export async function signedInPage(
  base: string,
  label: string,
): Promise<{ browser: Browser; page: Page }> {
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? "/usr/bin/chromium",
    args: ["--no-sandbox", "--disable-gpu"],
  });
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  const page = await context.newPage();
  const id = randomUUID().slice(0, 8);
  const user = {
    name: `${label} ${id}`,
    email: `${label.toLowerCase()}-${id}@example.test`,
    password: `pw-${randomUUID()}`,
  };
  await api(page, base, "auth.signUp", user);
  const csrf = (await (await page.request.get(`${base}/api/auth/csrf`)).json()) as {
    csrfToken: string;
  };
  await page.request.post(`${base}/api/auth/callback/credentials`, {
    form: { csrfToken: csrf.csrfToken, email: user.email, password: user.password, json: "true" },
  });
  return { browser, page };
}
