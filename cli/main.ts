/**
 * `trustflow validate [--json] <file...>`, `trustflow compile <file>` and `trustflow run <file>`.
 *
 * Exit codes: 0 no error, 1 at least one error diagnostic, 2 usage error or unreadable file.
 * `run` (issue 16): its arguments and files are checked here, then the server's engine is loaded
 * (`run.ts`, through the loader `trustflow.mjs` hands over): 0 the run succeeded, 1 it failed.
 * Outside `dsl/` (which runs in browsers too and imports no Node builtin), it uses the compiler
 * through its public surface, `@/dsl`. Run from prebuilt JavaScript: see bundle.mjs.
 */
import { readFile } from "node:fs/promises";
import {
  BlockRegistry,
  compile,
  offsetToPosition,
  policyLibrary,
  type CompileOptions,
  type Diagnostic,
} from "@/dsl";
import { parseRunArgs, RUN_USAGE } from "./run-args";
import type { Io, RunRequest } from "./run";

const USAGE = `Usage:
  trustflow validate [--json] <file...>   check flows, print diagnostics
  trustflow compile <file>                print the compiled IR as JSON
  trustflow run <file> [options]          run a flow in a local sandbox (trustflow run --help)
`;

/** One diagnostic in `--json` output; positions 1-based. */
export interface JsonDiagnostic {
  file: string;
  code: string;
  severity: string;
  message: string;
  hint?: string;
  range: { start: { line: number; column: number }; end: { line: number; column: number } };
}

/** A human code frame: `file:line:col: severity code: message`, the line, a caret underline. */
export function codeFrame(file: string, text: string, d: Diagnostic): string {
  const start = offsetToPosition(text, d.span.start);
  const end = offsetToPosition(text, d.span.end);
  const lines = text.split("\n");
  const line = (lines[start.line - 1] ?? "").replace(/\r$/, "");
  const width =
    end.line === start.line
      ? Math.max(1, end.column - start.column)
      : Math.max(1, line.length - start.column + 1);
  const gutter = String(start.line);
  const out = [
    `${file}:${start.line}:${start.column}: ${d.severity} ${d.code}: ${d.message}`,
    `  ${gutter} | ${line}`,
    `  ${" ".repeat(gutter.length)} | ${" ".repeat(Math.max(0, start.column - 1))}${"^".repeat(width)}`,
  ];
  if (d.hint) out.push(`  ${" ".repeat(gutter.length)} = hint: ${d.hint}`);
  return out.join("\n");
}

/** Converts a diagnostic to the `--json` shape. */
export function toJsonDiagnostic(file: string, text: string, d: Diagnostic): JsonDiagnostic {
  const j: JsonDiagnostic = {
    file,
    code: d.code,
    severity: d.severity,
    message: d.message,
    range: { start: offsetToPosition(text, d.span.start), end: offsetToPosition(text, d.span.end) },
  };
  if (d.hint) j.hint = d.hint;
  return j;
}

function options(): CompileOptions {
  return { registry: BlockRegistry.withPrimitives(), policies: policyLibrary };
}

/**
 * Runs the CLI with `argv` (without node and script); returns the exit code.
 * Output goes to the given writers (stdout/stderr by default) so tests can capture it.
 */
export async function main(
  argv: string[],
  io: Io = {
    out: (s) => process.stdout.write(s),
    err: (s) => process.stderr.write(s),
  },
  deps: { loadRunner?: () => Promise<RunnerModule> } = {},
): Promise<number> {
  const [command, ...rest] = argv;
  if (command === "--help" || command === "-h" || command === "help") {
    io.out(USAGE);
    return 0;
  }
  if (command === "run") return run(rest, io, deps.loadRunner);
  if (command !== "validate" && command !== "compile") {
    io.err(`${command ? `Unknown command \`${command}\`.\n` : ""}${USAGE}`);
    return 2;
  }
  const json = rest.includes("--json");
  const unknownFlag = rest.find((a) => a.startsWith("-") && a !== "--json");
  const files = rest.filter((a) => !a.startsWith("-"));
  if (
    unknownFlag ||
    files.length === 0 ||
    (command === "compile" && (files.length !== 1 || json))
  ) {
    io.err(`${unknownFlag ? `Unknown option \`${unknownFlag}\`.\n` : ""}${USAGE}`);
    return 2;
  }
  const texts = new Map<string, string>();
  for (const f of files) {
    try {
      texts.set(f, await readFile(f, "utf8"));
    } catch (e) {
      io.err(
        `trustflow: cannot read ${f}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}\n`,
      );
      return 2;
    }
  }
  const opts = options();
  let errors = 0;
  if (command === "compile") {
    const [file, text] = [...texts][0]!;
    const r = compile(text, opts);
    for (const d of r.diagnostics) io.err(`${codeFrame(file, text, d)}\n`);
    if (!r.ok || !r.ir) return 1;
    io.out(`${JSON.stringify(r.ir, null, 2)}\n`);
    return 0;
  }
  const all: JsonDiagnostic[] = [];
  for (const [file, text] of texts) {
    const r = compile(text, opts);
    for (const d of r.diagnostics) {
      if (d.severity === "error") errors++;
      if (json) all.push(toJsonDiagnostic(file, text, d));
      else io.out(`${codeFrame(file, text, d)}\n`);
    }
  }
  if (json) io.out(`${JSON.stringify(all, null, 2)}\n`);
  else if (errors === 0)
    io.out(`${files.length} file${files.length > 1 ? "s" : ""} checked: no errors\n`);
  return errors > 0 ? 1 : 0;
}

/** What `run.ts` exports (loaded only for `run`). */
export interface RunnerModule {
  runFlow(req: RunRequest, io: Io): Promise<number>;
}

/** Reads a file for `run`; a message (exit 2) when it cannot. */
async function readFor(flag: string, file: string): Promise<string | { error: string }> {
  try {
    return await readFile(file, "utf8");
  } catch (e) {
    const why = (e as NodeJS.ErrnoException).code ?? (e as Error).message;
    return { error: `cannot read ${flag ? `${flag} ` : ""}${file}: ${why}` };
  }
}

/** Reads and parses a JSON file for `run`. */
async function readJsonFor(
  flag: string,
  file: string,
): Promise<{ value: unknown } | { error: string }> {
  const text = await readFor(flag, file);
  if (typeof text !== "string") return text;
  try {
    return { value: JSON.parse(text) as unknown };
  } catch (e) {
    return { error: `${flag} ${file} is not JSON: ${(e as Error).message}` };
  }
}

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === "object" && v !== null && !Array.isArray(v);

/**
 * `trustflow run`: arguments, files and the flow's compilation checked here (exit 2 with code
 * frames), then the run in a local sandbox session (`run.ts`).
 */
async function run(
  argv: string[],
  io: Io,
  loadRunner: (() => Promise<RunnerModule>) | undefined,
): Promise<number> {
  if (argv.includes("--help") || argv.includes("-h")) {
    io.out(RUN_USAGE);
    return 0;
  }
  const args = parseRunArgs(argv);
  if ("error" in args) {
    io.err(`${args.error}\n${RUN_USAGE}`);
    return 2;
  }
  const fail = (message: string) => {
    io.err(`trustflow run: ${message}\n`);
    return 2;
  };
  const flowText = await readFor("", args.flowFile);
  if (typeof flowText !== "string") return fail(flowText.error);
  const r = compile(flowText, options());
  const errors = r.diagnostics.filter((d) => d.severity === "error");
  if (errors.length > 0 || !r.ok) {
    for (const d of errors) io.err(`${codeFrame(args.flowFile, flowText, d)}\n`);
    return fail(`${args.flowFile} does not compile`);
  }
  let inputs: Record<string, unknown> = {};
  if (args.inputsFile) {
    const v = await readJsonFor("--inputs", args.inputsFile);
    if ("error" in v) return fail(v.error);
    if (!isObject(v.value)) return fail(`--inputs ${args.inputsFile}: give a JSON object`);
    inputs = v.value;
  }
  const req: RunRequest = {
    flowFile: args.flowFile,
    flowText,
    inputs,
    approve: args.approve,
    forms: new Map(),
    json: args.json,
  };
  if (args.faultsFile) {
    const v = await readJsonFor("--faults", args.faultsFile);
    if ("error" in v) return fail(v.error);
    req.faults = { file: args.faultsFile, value: v.value };
  }
  if (args.scriptedFile) {
    const v = await readJsonFor("--scripted", args.scriptedFile);
    if ("error" in v) return fail(v.error);
    req.scripted = { file: args.scriptedFile, value: v.value };
  }
  if (args.datasetFile) {
    const text = await readFor("--dataset", args.datasetFile);
    if (typeof text !== "string") return fail(text.error);
    req.dataset = { file: args.datasetFile, text };
  }
  for (const [step, file] of args.forms) {
    const v = await readJsonFor(`--form ${step}=`, file);
    if ("error" in v) return fail(v.error);
    if (!isObject(v.value)) return fail(`--form ${step}=${file}: give the values as a JSON object`);
    req.forms.set(step, v.value);
  }
  if (!loadRunner)
    return fail("running a flow needs the server's engine: use the `trustflow` command");
  const runner = await loadRunner();
  return runner.runFlow(req, io);
}
