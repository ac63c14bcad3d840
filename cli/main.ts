/**
 * `trustflow validate [--json] <file...>` and `trustflow compile <file>`.
 *
 * Exit codes: 0 no error, 1 at least one error diagnostic, 2 usage error or unreadable file.
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

const USAGE = `Usage:
  trustflow validate [--json] <file...>   check flows, print diagnostics
  trustflow compile <file>                print the compiled IR as JSON
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
  io: { out: (s: string) => void; err: (s: string) => void } = {
    out: (s) => process.stdout.write(s),
    err: (s) => process.stderr.write(s),
  },
): Promise<number> {
  const [command, ...rest] = argv;
  if (command === "--help" || command === "-h" || command === "help") {
    io.out(USAGE);
    return 0;
  }
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
