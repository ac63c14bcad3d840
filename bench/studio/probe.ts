/**
 * Studio probe: opens the studio on a template flow in headless Chromium and reports what the
 * YAML editor's language service does (workers created, failed requests, console warnings, the
 * hover on `sla`, completion items) and how many bytes of script the page loaded. A diagnostic
 * aid for monaco-yaml wiring and bundle size; not a benchmark.
 *
 *   npx tsx bench/studio/probe.ts http://localhost:3105
 */
import { api, signedInPage } from "./session";

const base = process.argv[2] ?? "http://localhost:3103";

async function main() {
  const { browser, page } = await signedInPage(base, "Probe");
  const wf = await api<{ id: string }>(page, base, "workflow.createFromTemplate", {
    name: "Probe",
    template: "quote-to-cash",
  });

  const workers: string[] = [];
  page.on("worker", (w) => workers.push(w.url()));
  const failed: string[] = [];
  page.on("response", (r) => {
    if (r.status() >= 400) failed.push(`${r.status()} ${r.url()}`);
  });
  page.on("requestfailed", (r) => failed.push(`failed ${r.url()} ${r.failure()?.errorText}`));
  const consoleMsgs: string[] = [];
  page.on("console", (m) => {
    if (m.type() === "warning" || m.type() === "error")
      consoleMsgs.push(`${m.type()}: ${m.text()} (${m.location().url})`);
  });
  let jsBytes = 0;
  const scripts: { url: string; bytes: number }[] = [];
  page.on("response", async (r) => {
    if (r.request().resourceType() !== "script") return;
    try {
      const b = (await r.body()).length;
      jsBytes += b;
      scripts.push({ url: r.url().replace(base, ""), bytes: b });
    } catch {
      // body unavailable (redirect)
    }
  });

  page.on("pageerror", (e) => consoleMsgs.push(`pageerror: ${e.message}`));
  const t0 = Date.now();
  await page.goto(`${base}/studio/${wf.id}`);
  try {
    await page.locator(".react-flow__node").first().waitFor({ timeout: 20_000 });
  } catch (e) {
    console.log(JSON.stringify({ failed, consoleMsgs }, null, 2));
    throw e;
  }
  await page.locator(".monaco-editor .view-lines").waitFor({ timeout: 60_000 });
  const openMs = Date.now() - t0;
  await page.waitForTimeout(1500);

  const lang = await page.evaluate(() => {
    const el = document.querySelector(".monaco-editor");
    return el?.getAttribute("data-mode-id") ?? null;
  });

  // Hover over the `sla` key.
  const sla = page.locator(".monaco-editor .view-line span", { hasText: /^sla$/ }).first();
  let hover = "";
  if (await sla.count()) {
    await sla.hover();
    try {
      await page.locator(".monaco-hover .hover-contents").first().waitFor({ timeout: 8000 });
      hover = (await page.locator(".monaco-hover").first().innerText()).slice(0, 200);
    } catch {
      hover = "(no hover)";
    }
  } else hover = "(no `sla` token visible)";

  // Completion at the start of a new top-level line.
  await page.locator(".monaco-editor .view-lines").click();
  await page.keyboard.press("Control+Home");
  await page.keyboard.press("End");
  await page.keyboard.press("Enter");
  await page.keyboard.press("Control+Space");
  let completion = "";
  try {
    await page.locator(".suggest-widget .monaco-list-row").first().waitFor({ timeout: 8000 });
    completion = (await page.locator(".suggest-widget .monaco-list-row").allInnerTexts())
      .slice(0, 8)
      .join(" | ");
  } catch {
    completion = "(no completion)";
  }
  await browser.close();

  scripts.sort((a, b) => b.bytes - a.bytes);
  console.log(
    JSON.stringify({ openMs, lang, workers, failed, consoleMsgs, hover, completion }, null, 2),
  );
  console.log(`script bytes: ${(jsBytes / 1024).toFixed(0)} KiB in ${scripts.length} files`);
  for (const s of scripts.slice(0, 8)) console.log(`  ${(s.bytes / 1024).toFixed(0)} KiB ${s.url}`);
}

void main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
