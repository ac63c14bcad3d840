import { defineConfig, devices } from "@playwright/test";

/**
 * Browser tests run against a running server: scripts/test.mjs builds with `next build`, starts
 * the production server (scripts/serve.mjs) on a fresh data directory and sets
 * E2E_BASE_URL. (No Playwright `webServer`: the
 * runner owns the server's lifecycle and environment.)
 *
 * Spec files run in parallel workers (E2E_WORKERS, default 2: what a 2-core machine runs
 * fastest; the tests of one file stay in order in one worker). A test signs up users and a
 * workspace of its own (e2e/fixtures.ts), except those tagged `@demo-workspace`, which act as the
 * demo users in the seeded demo workspace: they run one at a time in their own project, next to
 * the others.
 */
const chromium = {
  ...devices["Desktop Chrome"],
  viewport: { width: 1280, height: 800 },
  launchOptions: {
    executablePath: process.env.CHROMIUM_PATH ?? "/usr/bin/chromium",
    args: [
      "--no-sandbox",
      "--disable-gpu",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
      "--no-first-run",
      "--disable-quic",
    ],
  },
};
const demoWorkspace = /@demo-workspace/;
const freshStart = /fresh-start\.spec\.ts$/;

export default defineConfig({
  testDir: "e2e/specs",
  fullyParallel: false,
  workers: Number(process.env.E2E_WORKERS) || 2,
  retries: 0,
  forbidOnly: Boolean(process.env.CI),
  timeout: 60_000,
  expect: { timeout: 10_000 },
  reporter: [["list"], ["html", { open: "never", outputFolder: "playwright-report" }]],
  use: {
    baseURL: process.env.E2E_BASE_URL ?? "http://localhost:3000",
    // A failing test keeps its trace (actions, network, console, sources) without the screencast
    // or DOM snapshots: recorded for every test, passing ones too, they cost the suite CPU on 2
    // cores (DOM snapshots at every action: ~15 % of the browser step's CPU, bench/RESULTS.md,
    // "Test suite time"). Its screenshot at the end and `error-context.md` (the page's ARIA
    // snapshot at the failure) show the page; a passing test takes no screenshot.
    trace: { mode: "retain-on-failure", screenshots: false, snapshots: false },
    screenshot: "only-on-failure",
    viewport: { width: 1280, height: 800 },
  },
  // Jobs start in the order of the projects. The demo workspace's lane first: it holds one
  // worker from the start (Playwright skips a job whose project is at its limit). Then the
  // fresh start, the longest job (a whole `next build` of a clone): on the other worker from the
  // start, it ends while the shorter jobs fill both workers, never after them.
  projects: [
    { name: "demo-workspace", use: chromium, grep: demoWorkspace, workers: 1 },
    { name: "fresh-start", use: chromium, testMatch: freshStart, grepInvert: demoWorkspace },
    { name: "chromium", use: chromium, testIgnore: freshStart, grepInvert: demoWorkspace },
  ],
});
