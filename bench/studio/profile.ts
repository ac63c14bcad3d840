/**
 * Studio open profile: a CDP CPU profile of opening the generated 500-step flow, summarised as
 * the top functions by self time and the app's `performance.mark`s (ms from navigation start).
 *
 *   npx tsx bench/studio/profile.ts http://localhost:3105 [out.cpuprofile]
 */
import { writeFileSync } from "node:fs";
import { api, signedInPage } from "./session";
import { generateFlow } from "../dsl/generate";

const base = process.argv[2] ?? "http://localhost:3103";
const out = process.argv[3];

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount?: number;
}

async function main() {
  const { browser, page } = await signedInPage(base, "Prof");
  const wf = await api<{ id: string }>(page, base, "workflow.create", {
    name: "Profile 500",
    dsl: generateFlow(500),
  });
  const url = `${base}/studio/${wf.id}`;
  const ready = async () => {
    await page.locator(".react-flow__node").first().waitFor({ timeout: 60_000 });
    await page.locator(".monaco-editor .view-lines").waitFor({ timeout: 60_000 });
  };
  await page.goto(url);
  await ready();
  const cdp = await page.context().newCDPSession(page);
  await cdp.send("Profiler.enable");
  await cdp.send("Profiler.setSamplingInterval", { interval: 200 });
  await cdp.send("Profiler.start");
  const t0 = Date.now();
  await page.goto(url);
  await ready();
  const ms = Date.now() - t0;
  await page.waitForTimeout(1000);
  const { profile } = (await cdp.send("Profiler.stop")) as unknown as {
    profile: { nodes: ProfileNode[]; samples: number[]; timeDeltas: number[] };
  };
  const marks = await page.evaluate(() =>
    performance
      .getEntriesByType("mark")
      .concat(performance.getEntriesByType("paint"))
      .map((m) => `${m.name}@${m.startTime.toFixed(0)}`),
  );
  await browser.close();
  if (out) writeFileSync(out, JSON.stringify(profile));

  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const self = new Map<string, number>();
  for (let i = 0; i < profile.samples.length; i++) {
    const n = byId.get(profile.samples[i]!)!;
    const f = n.callFrame;
    const k = `${f.functionName || "(anon)"} ${f.url.replace(base, "")}:${f.lineNumber}`;
    self.set(k, (self.get(k) ?? 0) + (profile.timeDeltas[i] ?? 0) / 1000);
  }
  console.log(`open: ${ms} ms`);
  console.log(`marks: ${marks.join(" ")}`);
  for (const [k, v] of [...self.entries()].sort((a, b) => b[1] - a[1]).slice(0, 30))
    console.log(`${v.toFixed(1).padStart(8)} ms  ${k}`);
}

void main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
