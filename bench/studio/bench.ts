/**
 * Studio benchmark: headless Chromium (playwright-core, /usr/bin/chromium) against a running
 * server. Measures, on a generated 500-step flow:
 *  - open to interactive: navigation start until the canvas shows nodes and Monaco is ready;
 *  - keystroke to updated canvas: a keydown in Monaco until the canvas committed the graph of
 *    the new text (`tf:canvas` mark from the app's `window.__tfPerf` hook), and until the full
 *    compile's diagnostics (`tf:compiled`).
 *
 *   npx tsx bench/studio/bench.ts http://localhost:3103 [keystrokes=30] [opens=3]
 *
 * The server must run a build made with `NEXT_PUBLIC_TRUSTFLOW_TEST_HOOKS=1` (as `npm test`'s
 * e2e build is): the hooks read here are not in other builds (lib/studio/test-hooks.ts).
 *
 * Signs up a fresh account through the API (needs nothing seeded).
 */
import os from "node:os";
import { generateFlow } from "../dsl/generate";
import type { Page } from "playwright-core";
import { api, signedInPage } from "./session";

const base = process.argv[2] ?? "http://localhost:3103";
const keystrokes = Number(process.argv[3] ?? 30);
const opens = Number(process.argv[4] ?? 3);
const STEPS = 500;

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};

async function main() {
  const { browser, page } = await signedInPage(base, "Bench");
  const wf = await api<{ id: string }>(page, base, "workflow.create", {
    name: `Bench ${STEPS} steps`,
    dsl: generateFlow(STEPS),
  });
  const url = `${base}/studio/${wf.id}`;

  // Warm-up (server compiles and caches the route), then timed opens.
  await open(page, url);
  if (!(await page.evaluate(() => window.__tfStudio !== undefined))) {
    throw new Error(
      "The studio has no test hooks: run the benchmark against a build made with NEXT_PUBLIC_TRUSTFLOW_TEST_HOOKS=1.",
    );
  }
  const openTimes: number[] = [];
  for (let i = 0; i < opens; i++) openTimes.push(await open(page, url));

  // Keystrokes at the end of the flow's description line.
  await page.evaluate(() => {
    const w = window as unknown as { __kd: number[] };
    w.__kd = [];
    document.addEventListener("keydown", () => w.__kd.push(performance.now()), true);
  });
  await page.locator(".monaco-editor .view-lines").click();
  await page.keyboard.press("Control+Home");
  for (let i = 0; i < 2; i++) await page.keyboard.press("ArrowDown");
  await page.keyboard.press("End");
  const toCanvas: number[] = [];
  const toDiagnostics: number[] = [];
  for (let i = 0; i < keystrokes; i++) {
    const before = await page.evaluate(() => window.__tfStudio!.revision());
    await page.keyboard.press("x");
    const rev = before + 1;
    await page.waitForFunction(
      (r) => window.__tfPerf?.marks["tf:compiled"]?.[r] !== undefined,
      rev,
      { timeout: 30_000 },
    );
    const t = await page.evaluate((r) => {
      const w = window as unknown as { __kd: number[] };
      const kd = w.__kd[w.__kd.length - 1]!;
      const m = window.__tfPerf!.marks;
      return { canvas: m["tf:canvas"]![r]! - kd, compiled: m["tf:compiled"]![r]! - kd };
    }, rev);
    toCanvas.push(t.canvas);
    toDiagnostics.push(t.compiled);
  }
  await browser.close();

  const r = (n: number) => n.toFixed(1);
  console.log(`Studio benchmark, ${STEPS}-step flow, ${base}`);
  console.log(
    `machine: ${os.cpus()[0]?.model} x ${os.cpus().length}, Node ${process.version}, ${new Date().toISOString().slice(0, 10)}`,
  );
  console.log(
    `open to interactive (median of ${opens}): ${r(median(openTimes))} ms  [${openTimes.map(r).join(", ")}]`,
  );
  console.log(
    `keystroke to updated canvas (median of ${keystrokes}): ${r(median(toCanvas))} ms  (max ${r(Math.max(...toCanvas))})`,
  );
  console.log(`keystroke to diagnostics (median of ${keystrokes}): ${r(median(toDiagnostics))} ms`);
}

declare global {
  interface Window {
    __tfPerf?: { marks: Record<string, Record<number, number>>; canvasRevision: number };
    __tfStudio?: { text: () => string; revision: () => number };
  }
}

async function open(page: Page, url: string): Promise<number> {
  const t0 = Date.now();
  await page.goto(url);
  await page.locator(".react-flow__node").first().waitFor({ timeout: 60_000 });
  await page.locator(".monaco-editor .view-lines").waitFor({ timeout: 60_000 });
  return Date.now() - t0;
}

void main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
