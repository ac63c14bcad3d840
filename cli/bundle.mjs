// The CLI's prebuilt JavaScript. `npm install` (scripts/postinstall.mjs) bundles cli/main.ts
// and everything it imports into one CommonJS file with esbuild, so a call of `trustflow` loads
// plain JavaScript instead of compiling TypeScript at each start, and V8's code cache for that file
// (kept next to it) spares most of the parsing too. A fresh clone, or a source edited since the
// last build, is rebuilt on the next call: the manifest lists the inputs with the time the build
// started, and any of them changed after it (or gone) makes the bundle stale. Packages count as
// changed when npm rewrites node_modules/.package-lock.json (any install, update or removal).
// `trustflow run` has a second bundle of its own, built the same way (ensureRunnerBundle): the
// server's engine, which `validate` and `compile` never load.
import { mkdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import { fileURLToPath } from "node:url";
import vm from "node:vm";

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, "..");
const installed = "node_modules/.package-lock.json";

/** What every esbuild build here shares: one file for Node 20, in memory, with its inputs listed. */
const NODE_BUILD = {
  bundle: true,
  write: false,
  platform: "node",
  target: "node20",
  absWorkingDir: root,
  tsconfig: path.join(root, "tsconfig.json"),
  metafile: true,
  logLevel: "silent",
};

/** The bundle's preferred directory, in the checkout. */
const distDir = path.join(here, "dist");

/**
 * The fallback directory, per checkout, in the temp dir (for a read-only install). Computed only
 * when `cli/dist` is not fresh: a call does not load `node:crypto` and `node:os`.
 */
async function tmpDir() {
  const [{ createHash }, { tmpdir }] = await Promise.all([
    import("node:crypto"),
    import("node:os"),
  ]);
  const tmp = createHash("sha256").update(root).digest("hex").slice(0, 12);
  return path.join(tmpdir(), `trustflow-cli-${tmp}`);
}

function files(dir) {
  return {
    bundle: path.join(dir, "trustflow.cjs"),
    cache: path.join(dir, "trustflow.cjs.v8cache"),
    manifest: path.join(dir, "inputs.json"),
  };
}

/** The runner's bundle (`trustflow run`) and its manifest, in the checkout's `cli/dist`. */
const runner = {
  bundle: path.join(distDir, "run.mjs"),
  manifest: path.join(distDir, "run-inputs.json"),
};

/** True when `f.bundle` was built after the last change of each input its manifest lists. */
function fresh(f) {
  let manifest;
  try {
    manifest = JSON.parse(readFileSync(f.manifest, "utf8"));
    statSync(f.bundle);
  } catch {
    return false;
  }
  if (typeof manifest?.builtAt !== "number" || !Array.isArray(manifest.inputs)) return false;
  for (const input of manifest.inputs) {
    try {
      if (statSync(path.join(root, input)).mtimeMs > manifest.builtAt) return false;
    } catch {
      return false;
    }
  }
  return true;
}

/** True for an error saying a directory cannot be written (a read-only install). */
function unwritable(err) {
  const code = /** @type {NodeJS.ErrnoException} */ (err).code;
  return code === "EACCES" || code === "EROFS" || code === "EPERM";
}

/** Writes `data` to `file` under a temporary name, then renames it into place. */
function writeAtomically(file, data) {
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, data);
  renameSync(tmp, file);
}

/**
 * The bundle's entry: the CLI (main.ts), and the built-in primitives' input validators generated
 * ahead of time (`precompiled-validators.ts`), handed to the compiler's one Ajv cache so that a
 * call does not compile them (each checked against the block it was generated for).
 */
const ENTRY = `
import { primitiveBlocks, usePrecompiledValidator } from "@/dsl";
import * as generated from "trustflow:input-validators";
export * from "./main";
generated.blocks.forEach((label, i) => {
  const block = primitiveBlocks[i];
  if (block && \`\${block.id}@\${block.version}\` === label)
    usePrecompiledValidator(block.inputSchema, generated[\`v\${i}\`]);
});
`;

/**
 * Ajv's standalone code of the built-in primitives' input schemas (`precompiled-validators.ts`,
 * bundled and run here), and the source files it was generated from.
 */
async function precompiledValidators(build) {
  const result = await build({
    ...NODE_BUILD,
    entryPoints: [path.join(here, "precompiled-validators.ts")],
    format: "cjs",
    packages: "external",
  });
  const mod = { exports: {} };
  new Function("module", "exports", "require", result.outputFiles[0].text)(
    mod,
    mod.exports,
    createRequire(path.join(root, "package.json")),
  );
  return {
    code: mod.exports.precompiledValidatorsModule(),
    inputs: Object.keys(result.metafile.inputs),
  };
}

/** Builds the bundle into `dir`. */
async function buildInto(dir) {
  const { build } = await import("esbuild");
  const f = files(dir);
  mkdirSync(dir, { recursive: true });
  // Inputs changed from here on are newer than the build: the next call rebuilds.
  const builtAt = Date.now();
  const validators = await precompiledValidators(build);
  const result = await build({
    ...NODE_BUILD,
    stdin: { contents: ENTRY, resolveDir: here, sourcefile: "<entry>", loader: "ts" },
    plugins: [
      {
        name: "input-validators",
        setup(b) {
          b.onResolve({ filter: /^trustflow:input-validators$/ }, (a) => ({
            path: a.path,
            namespace: "trustflow",
          }));
          b.onLoad({ filter: /.*/, namespace: "trustflow" }, () => ({
            contents: validators.code,
            loader: "js",
            resolveDir: root,
          }));
        },
      },
    ],
    outfile: f.bundle,
    format: "cjs",
    legalComments: "none",
    // 0.8 MB instead of 2.2 (with zod's unused parts left out): less to read at each call (the
    // code cache spares the parsing, not the reading). Names do not matter: the only
    // `constructor.name` checks in the bundled code (protobuf, CEL, zod) compare built-ins.
    minify: true,
  });
  writeAtomically(f.bundle, result.outputFiles[0].contents);
  rmSync(f.cache, { force: true });
  writeManifest(f.manifest, builtAt, [
    ...Object.keys(result.metafile.inputs),
    ...validators.inputs,
  ]);
  return dir;
}

/**
 * Writes a bundle's manifest: the time its build started, and its inputs — files only (not a
 * generated module nor stdin), outside node_modules, with this file (a change of how bundles are
 * built rebuilds them) and npm's record of the installed packages.
 */
function writeManifest(file, builtAt, metafileInputs) {
  const sources = metafileInputs.filter(
    (i) => !/[:<]/.test(i) && !i.split("/").includes("node_modules"),
  );
  const inputs = [...new Set([...sources, "cli/bundle.mjs", installed])];
  writeAtomically(file, `${JSON.stringify({ builtAt, inputs })}\n`);
}

/**
 * The runner of `trustflow run` (`run.ts`: the server's engine, in-memory database, sandboxes),
 * bundled as one ES module with the packages left to node_modules, so a run loads plain
 * JavaScript instead of compiling the server's TypeScript through tsx at each call. Kept in
 * the checkout's `cli/dist` only (its imports of packages resolve from there); returns its path,
 * built first when missing or stale, or null when it cannot be written there (a read-only
 * install: the caller loads `run.ts` through tsx instead).
 */
export async function ensureRunnerBundle({ force = false } = {}) {
  if (!force && fresh(runner)) return runner.bundle;
  const { build } = await import("esbuild");
  const builtAt = Date.now();
  const result = await build({
    ...NODE_BUILD,
    entryPoints: [path.join(here, "run.ts")],
    outfile: runner.bundle,
    format: "esm",
    packages: "external",
    legalComments: "none",
    // Less to read and parse at each call; names kept for errors' and classes' names.
    minify: true,
    keepNames: true,
  });
  try {
    mkdirSync(distDir, { recursive: true });
    writeAtomically(runner.bundle, result.outputFiles[0].contents);
    writeManifest(runner.manifest, builtAt, Object.keys(result.metafile.inputs));
  } catch (err) {
    if (unwritable(err)) return null;
    throw err;
  }
  return runner.bundle;
}

/**
 * Returns the directory of an up-to-date bundle, building it first if it is missing or stale.
 * With `force`, always builds. The checkout's `cli/dist` is preferred; if it cannot be written
 * (a read-only install), a directory in the temp dir is used.
 */
export async function ensureCliBundle({ force = false } = {}) {
  if (!force && fresh(files(distDir))) return distDir;
  const dirs = [distDir, await tmpDir()];
  if (!force && fresh(files(dirs[1]))) return dirs[1];
  let firstError;
  for (const dir of dirs) {
    try {
      return await buildInto(dir);
    } catch (err) {
      if (!unwritable(err)) throw err;
      firstError ??= err;
    }
  }
  throw firstError;
}

/**
 * Loads the bundle in `dir` with V8's code cache, and returns its exports and a function that
 * keeps the cache for the next call (after the run: the functions it compiled are cached too).
 */
export function loadCliBundle(dir) {
  const f = files(dir);
  const code = readFileSync(f.bundle, "utf8");
  let cachedData;
  try {
    cachedData = readFileSync(f.cache);
  } catch {
    /* first call after a build */
  }
  const script = new vm.Script(
    `(function (exports, require, module, __filename, __dirname) {${code}\n})`,
    { filename: f.bundle, cachedData },
  );
  const cjs = { exports: {} };
  script.runInThisContext()(cjs.exports, createRequire(f.bundle), cjs, f.bundle, dir);
  return {
    exports: cjs.exports,
    keepCache() {
      if (cachedData && !script.cachedDataRejected) return;
      try {
        writeAtomically(f.cache, script.createCachedData());
      } catch {
        /* a read-only directory: every call parses */
      }
    },
  };
}

// `npm run build:cli`: builds both bundles now (scripts/postinstall.mjs does at `npm install`).
if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const dir = await ensureCliBundle({ force: true });
  console.log(`trustflow CLI built: ${path.relative(process.cwd(), files(dir).bundle)}`);
  const run = await ensureRunnerBundle({ force: true });
  if (run) console.log(`trustflow run's engine built: ${path.relative(process.cwd(), run)}`);
}
