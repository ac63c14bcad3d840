import { describe, expect, it, vi } from "vitest";

/**
 * Next.js evaluates a server module once per bundle (instrumentation, each route): the settings
 * the boot applies in one bundle must hold in the others. Each test loads a module twice, as two
 * bundles do (`vi.resetModules` between the imports).
 */
describe("process state shared by Next's bundles", () => {
  it("scrypt's N configured in the boot's bundle hashes sign-ups in another's", async () => {
    const boot = await import("@/server/domain/auth/password");
    vi.resetModules();
    const route = await import("@/server/domain/auth/password");
    expect(route).not.toBe(boot);
    boot.configurePasswordHashing({ N: 2 ** 10 });
    try {
      expect(await route.hashPassword("correct horse battery")).toMatch(/^scrypt\$1024\$/);
    } finally {
      boot.configurePasswordHashing({ N: 2 ** 15 });
    }
    expect(await route.hashPassword("correct horse battery")).toMatch(/^scrypt\$32768\$/);
  });

  it("the trust half-life configured in the boot's bundle is the one a page's bundle reads", async () => {
    const boot = await import("@/server/domain/trust/score");
    vi.resetModules();
    const page = await import("@/server/domain/trust/score");
    expect(page).not.toBe(boot);
    boot.configureTrust({ halfLifeMs: 7 * 86_400_000 });
    try {
      expect(page.trustConfig().halfLifeMs).toBe(7 * 86_400_000);
    } finally {
      boot.configureTrust({});
    }
    expect(page.trustConfig().halfLifeMs).toBe(page.DEFAULT_TRUST_CONFIG.halfLifeMs);
  });
});
