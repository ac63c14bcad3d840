// Generates the Prisma client offline, and again whenever prisma/schema.prisma changed since the
// last generation (`npm start` and `npm test` call `ensurePrismaClient`); then builds the CLI's
// JavaScript (`buildCli`). Prisma's CLI wants a schema engine binary for some commands;
// `generate` does not use it, so any file will do.
import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const stamp = path.join(root, "server/adapters/prisma/generated/.schema-hash");

function schemaHash() {
  return createHash("sha256")
    .update(readFileSync(path.join(root, "prisma/schema.prisma")))
    .digest("hex");
}

export function ensurePrismaClient({ force = false } = {}) {
  const hash = schemaHash();
  if (!force && existsSync(stamp) && readFileSync(stamp, "utf8") === hash) return;
  const env = { ...process.env };
  env.PRISMA_SCHEMA_ENGINE_BINARY ||= process.execPath;
  const r = spawnSync(
    process.execPath,
    [path.join(root, "node_modules/prisma/build/index.js"), "generate"],
    { stdio: "inherit", env, cwd: root },
  );
  if (r.status !== 0) throw new Error("prisma generate failed");
  writeFileSync(stamp, hash);
}

/**
 * Builds the `trustflow` CLI's JavaScript (cli/bundle.mjs) so that its first call starts at
 * once. Not fatal: without esbuild (a production-only install) or on a build error, the CLI builds
 * itself on its first call, or says why it cannot.
 */
export async function buildCli() {
  try {
    const { ensureCliBundle, ensureRunnerBundle } = await import("../cli/bundle.mjs");
    await ensureCliBundle({ force: true });
    await ensureRunnerBundle({ force: true });
  } catch (err) {
    console.warn(`trustflow CLI not prebuilt (it builds on its first call): ${err.message}`);
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  try {
    ensurePrismaClient({ force: true });
  } catch (err) {
    console.error(err.message);
    process.exit(1);
  }
  await buildCli();
}
