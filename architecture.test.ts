import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";

/**
 * The import rules of the house style, checked on the source itself (ESLint checks them too):
 * dsl/ is pure; only server/adapters imports the Prisma client; components/ never imports server/.
 */
const root = import.meta.dirname;

function files(dir: string): string[] {
  const abs = path.join(root, dir);
  return readdirSync(abs, { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile() && /\.(ts|tsx|mjs|js)$/.test(e.name))
    .map((e) => path.relative(root, path.join(e.parentPath, e.name)))
    .filter((f) => !f.includes("/generated/") && !f.includes("node_modules"));
}

function imports(file: string): string[] {
  const src = readFileSync(path.join(root, file), "utf8");
  const out: string[] = [];
  for (const m of src.matchAll(
    /(?:import|export)\s[^'"]*?from\s*["']([^"']+)["']|import\(\s*["']([^"']+)["']\s*\)|^import\s+["']([^"']+)["']/gm,
  )) {
    out.push((m[1] ?? m[2] ?? m[3])!);
  }
  return out;
}

function resolved(file: string, spec: string): string {
  if (spec.startsWith("@/")) return spec.slice(2);
  if (spec.startsWith(".")) return path.normalize(path.join(path.dirname(file), spec));
  return spec;
}

function violations(dir: string, forbidden: (target: string) => boolean) {
  return files(dir).flatMap((f) =>
    imports(f)
      .map((s) => resolved(f, s))
      .filter(forbidden)
      .map((t) => `${f} imports ${t}`),
  );
}

const framework = /^(react|react-dom|next|next-auth|@prisma\/|@trpc\/|@tanstack\/)/;
const appCode = /^(app|components|server|lib)(\/|$)/;
const prismaClient = /^(@prisma\/client|server\/adapters\/prisma\/generated)/;

describe("architecture", () => {
  it("dsl/ imports nothing from the app, React, Next, Prisma or tRPC", () => {
    expect(violations("dsl", (t) => framework.test(t) || appCode.test(t))).toEqual([]);
  });

  it("only server/adapters imports the Prisma client", () => {
    const dirs = ["app", "components", "lib", "dsl", "server"].flatMap((d) => files(d));
    const bad = dirs
      .filter((f) => !f.startsWith("server/adapters/"))
      .flatMap((f) =>
        imports(f)
          .map((s) => resolved(f, s))
          .filter((t) => prismaClient.test(t))
          .map((t) => `${f} imports ${t}`),
      );
    expect(bad).toEqual([]);
  });

  it("components/ never imports server/", () => {
    expect(violations("components", (t) => /^server(\/|$)/.test(t))).toEqual([]);
  });

  it("the rules see the imports they check", () => {
    expect(imports("server/composition.ts")).toContain("@/server/adapters/prisma");
  });
});
