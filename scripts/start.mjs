#!/usr/bin/env node
// `npm start`: runs the studio on the embedded PostgreSQL (or DATABASE_URL), building first when
// the sources changed since the last build. Generates NEXTAUTH_SECRET into .trustflow-secret on
// first run and sets NEXTAUTH_URL from the port, then prints the URL and the demo sign-ins.
// Without DATABASE_URL this process starts the embedded server (server/embedded-database.ts)
// before the app and stops it after the app, on SIGINT/SIGTERM too.
import { spawn } from "node:child_process";
import { createHash, randomBytes } from "node:crypto";
import { existsSync, readFileSync, readdirSync, statSync, writeFileSync } from "node:fs";
import net from "node:net";
import path from "node:path";
import { fileURLToPath } from "node:url";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
process.chdir(root);

const [major, minor] = process.versions.node.split(".").map(Number);
if (major < 20 || (major === 20 && minor < 19)) {
  console.error(`Trustflow needs Node.js 20.19 or newer; this is ${process.version}.`);
  process.exit(1);
}

const { ensurePrismaClient } = await import("./postinstall.mjs");
ensurePrismaClient();

// 1. Environment, validated with the same schema the server uses.
const { register } = await import("tsx/esm/api");
register();
const { ZEnv, formatEnvIssues } = await import("../server/env.ts");
const secretFile = path.join(root, ".trustflow-secret");
if (!process.env.NEXTAUTH_SECRET) {
  if (!existsSync(secretFile)) {
    writeFileSync(secretFile, randomBytes(48).toString("base64url") + "\n", { mode: 0o600 });
  }
  process.env.NEXTAUTH_SECRET = readFileSync(secretFile, "utf8").trim();
}
const host = process.env.HOST || "127.0.0.1";
const port = await choosePort(Number(process.env.PORT || 3000), host);
process.env.PORT = String(port);
process.env.NEXTAUTH_URL ||= `http://localhost:${port}`;
process.env.NODE_ENV = "production";
const parsed = ZEnv.safeParse(
  Object.fromEntries(Object.entries(process.env).filter(([, v]) => v !== "")),
);
if (!parsed.success) {
  console.error(`Invalid environment:\n${formatEnvIssues(parsed.error)}`);
  process.exit(1);
}

// 2. Build when the sources changed.
const fingerprint = sourceFingerprint();
const stamp = path.join(root, ".next", "trustflow-fingerprint");
if (
  !existsSync(stamp) ||
  readFileSync(stamp, "utf8") !== fingerprint ||
  process.env.TRUSTFLOW_REBUILD
) {
  console.log("Building the studio (first start or changed sources; takes a minute or two)…");
  await run(process.execPath, [path.join(root, "node_modules/next/dist/bin/next"), "build"]);
  writeFileSync(stamp, fingerprint);
}

// 3. The embedded database, started here so that it outlives the app's own shutdown.
const started = Date.now();
const dataDir = parsed.data.TRUSTFLOW_DATA_DIR;
let embedded = null;
if (!parsed.data.DATABASE_URL) {
  const { openEmbeddedDatabase, importReportFile } = await import("../server/embedded-database.ts");
  try {
    embedded = await openEmbeddedDatabase({
      dataDir,
      port: parsed.data.TRUSTFLOW_EMBEDDED_PG_PORT,
      log: (msg) => console.log(`  ${msg}`),
    });
  } catch (err) {
    console.error(`The embedded PostgreSQL could not start: ${err.message}`);
    process.exit(1);
  }
  embedded.importReport = importReportFile(dataDir);
}

// 4. Serve, and print the URL once healthy.
// Next.js behind a thin Node server that answers flow webhooks itself (scripts/serve.mjs).
const server = spawn(
  process.execPath,
  [path.join(root, "scripts/serve.mjs"), "-p", String(port), "-H", host],
  { stdio: "inherit", env: process.env },
);
let stopping = false;
// The app first (its runs reach a checkpoint), then the database.
async function shutdown(code) {
  if (stopping) return;
  stopping = true;
  if (server.exitCode === null && server.signalCode === null) {
    const exited = new Promise((r) => server.once("exit", r));
    server.kill("SIGTERM");
    // The app bounds its own stop (TRUSTFLOW_STOP_TIMEOUT_MS, then its database's close); one
    // that still runs well past that is killed, so the database below always stops.
    const grace = parsed.data.TRUSTFLOW_STOP_TIMEOUT_MS + 20_000;
    const timer = setTimeout(() => {
      console.error(`The app did not stop within ${grace / 1000} s: killing it.`);
      server.kill("SIGKILL");
    }, grace);
    await exited;
    clearTimeout(timer);
  }
  await embedded?.server.stop();
  process.exit(code);
}
for (const sig of ["SIGINT", "SIGTERM"]) process.on(sig, () => void shutdown(0));
server.on("exit", (code) => void shutdown(code ?? 0));
await waitHealthy(`http://${host}:${port}/api/health`);
const demo = JSON.parse(readFileSync(path.join(root, "prisma/demo-users.json"), "utf8"));
const database = embedded
  ? [
      `  Database: ${embedded.location}`,
      "            durable: fsync and synchronous commit on, so an acknowledged run survives a crash of",
      "            the app or the machine; `npm run worker` processes join it. For a managed server,",
      "            set DATABASE_URL=postgres://user:password@host:5432/db (README, Database).",
      ...(existsSync(path.join(dataDir, "pglite", "PG_VERSION")) &&
      existsSync(embedded.importReport)
        ? [
            `            Your earlier PGlite data was copied into it (${embedded.importReport});`,
            `            the old directory ${path.join(dataDir, "pglite")} is kept: remove it when satisfied.`,
          ]
        : []),
    ]
  : [`  Database: PostgreSQL (DATABASE_URL)`];
console.log(
  [
    "",
    `  Trustflow is running at ${process.env.NEXTAUTH_URL}   (ready in ${((Date.now() - started) / 1000).toFixed(1)} s)`,
    ...database,
    "",
    `  Demo sign-ins (${demo.workspace.name}):`,
    ...demo.users.map((u) => `    ${u.role.padEnd(9)} ${u.email.padEnd(30)} ${u.password}`),
    "",
  ].join("\n"),
);

function run(cmd, args) {
  return new Promise((resolve, reject) => {
    const p = spawn(cmd, args, { stdio: "inherit", env: process.env });
    p.on("exit", (code) =>
      code === 0 ? resolve() : reject(new Error(`${args.join(" ")} exited with ${code}`)),
    );
  });
}

function sourceFingerprint() {
  const hash = createHash("sha256");
  const dirs = ["app", "components", "lib", "server", "dsl", "public", "prisma"];
  const files = [
    "next.config.js",
    "package-lock.json",
    "postcss.config.mjs",
    "tsconfig.json",
    "instrumentation.ts",
  ];
  const walk = (dir) => {
    if (!existsSync(dir)) return;
    for (const e of readdirSync(dir, { withFileTypes: true }).sort((a, b) =>
      a.name.localeCompare(b.name),
    )) {
      const p = path.join(dir, e.name);
      if (e.isDirectory()) walk(p);
      else {
        const s = statSync(p);
        hash.update(`${p}:${s.size}:${s.mtimeMs}\n`);
      }
    }
  };
  dirs.forEach(walk);
  for (const f of files) if (existsSync(f)) hash.update(`${f}:${statSync(f).mtimeMs}\n`);
  return hash.digest("hex");
}

async function choosePort(preferred, h) {
  for (let p = preferred; p < preferred + 20; p++) {
    const free = await new Promise((resolve) => {
      const srv = net.createServer().once("error", () => resolve(false));
      srv.listen(p, h, () => srv.close(() => resolve(true)));
    });
    if (free) return p;
    if (process.env.PORT) break; // an explicit port is not silently changed
  }
  console.error(`Port ${preferred} is in use. Set PORT to a free port.`);
  process.exit(1);
}

async function waitHealthy(url) {
  for (let i = 0; i < 1800; i++) {
    try {
      const res = await fetch(url);
      if (res.ok) return;
      if (res.status === 503 && i > 100) console.error(await res.text());
    } catch {
      /* not up yet */
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  console.error(`The server did not become healthy at ${url} within three minutes; stopping.`);
  await shutdown(1);
}
