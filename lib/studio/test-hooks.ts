import type { StudioStore } from "./studio-store";

declare global {
  interface Window {
    /** Read-only hooks for tests and benchmarks (test builds only, see below). */
    __tfStudio?: { text: () => string; revision: () => number };
  }
}

/**
 * Exposes the studio's text and revision as `window.__tfStudio` for the browser tests and the
 * studio benchmark, in test builds only: `NEXT_PUBLIC_TRUSTFLOW_TEST_HOOKS=1` at build time
 * (`npm test`'s e2e build sets it). Next.js inlines the variable, so in any other build (`npm
 * start`) the condition is `false` and the hook is not in the bundle. Returns the cleanup.
 */
export function exposeStudioForTests(store: StudioStore): () => void {
  if (process.env.NEXT_PUBLIC_TRUSTFLOW_TEST_HOOKS !== "1") return () => {};
  window.__tfStudio = {
    text: () => store.getState().text,
    revision: () => store.getState().revision,
  };
  return () => {
    delete window.__tfStudio;
  };
}
