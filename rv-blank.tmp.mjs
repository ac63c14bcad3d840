// Ad-hoc: open a live run's page and sample, every animation frame, how many run nodes are
// drawn inside the canvas, plus the React Flow viewport transform; screenshots along the way.
import { chromium } from "@playwright/test";
const base = process.argv[2];
const tag = process.argv[3];
const browser = await chromium.launch({ executablePath: "/usr/bin/chromium", args: ["--no-sandbox"] });
const ctx = await browser.newContext({ viewport: { width: 1440, height: 900 }, baseURL: base });
const page = await ctx.newPage();
const email = `blank-${Date.now()}@example.test`;
const pw = `pw-${Date.now()}-long-enough`;
let r = await page.request.post("/api/trpc/auth.signUp", { data: { json: { name: "Blank", email, password: pw } } });
const csrf = await (await page.request.get("/api/auth/csrf")).json();
await page.request.post("/api/auth/callback/credentials", { form: { csrfToken: csrf.csrfToken, email, password: pw, json: "true" } });
const mutate = async (p, input) => {
  const res = await page.request.post(`/api/trpc/${p}`, { data: { json: input } });
  if (!res.ok()) throw new Error(`${p} ${res.status()} ${await res.text()}`);
  return (await res.json()).result.data.json;
};
const steps = Array.from({ length: 5 }, (_, i) => `  - id: s${i}
    uses: ${i === 2 ? "control.wait@1" : "data.transform@1"}
${i > 0 ? `    needs: [s${i - 1}]\n` : ""}    with:
${i === 2 ? "      duration: 4s" : `      fields: { v: "${i}" }`}`).join("\n");
const dsl = `flow: blank-${Date.now()}\nversion: 1.0.0\nsla: T2\ntrigger:\n  manual: {}\nsteps:\n${steps}\n`;
const wf = await mutate("workflow.create", { name: `Blank ${Date.now()}`, dsl });
await page.addInitScript(() => {
  const samples = [];
  window.__s = samples;
  const frame = () => {
    const g = document.querySelector('[data-testid="run-graph"]');
    let shown = 0, total = 0;
    if (g) {
      const box = g.getBoundingClientRect();
      for (const n of g.querySelectorAll('[data-testid^="run-node-"]')) {
        total++;
        const r = n.getBoundingClientRect();
        const inside = r.width > 0 && r.right > box.left && r.left < box.right && r.bottom > box.top && r.top < box.bottom;
        if (inside && getComputedStyle(n).visibility !== "hidden") shown++;
      }
    }
    const vp = document.querySelector(".react-flow__viewport")?.style.transform ?? "";
    samples.push({ t: Math.round(performance.now()), mounted: !!g, shown, total, vp, status: document.querySelector('[data-testid="run-status"]')?.textContent ?? "" });
    if (samples.length < 20000) requestAnimationFrame(frame);
  };
  requestAnimationFrame(frame);
});
const run = await mutate("run.start", { workflowId: wf.id, draft: true });
await page.goto(`/runs/${run.id}`);
for (let i = 0; i < 4; i++) {
  await page.screenshot({ path: `/tmp/rv-shots/blank-${tag}-${i}.png` });
  await new Promise((r) => setTimeout(r, 1500));
}
await page.getByTestId("run-status").filter({ hasText: "succeeded" }).waitFor({ timeout: 30000 });
const s = await page.evaluate(() => window.__s);
const m = s.filter((x) => x.mounted);
const bad = m.filter((x) => x.shown < x.total || x.total === 0);
console.log(tag, "frames", s.length, "mounted", m.length, "frames with hidden/outside nodes", bad.length,
  "min shown", Math.min(...m.map((x) => x.shown)), "of", Math.max(...m.map((x) => x.total)));
const vps = [...new Set(m.map((x) => x.vp))];
console.log("viewports:", vps.slice(0, 6));
console.log("first bad:", JSON.stringify(bad.slice(0, 3)), "last:", JSON.stringify(m.at(-1)));
await browser.close();
