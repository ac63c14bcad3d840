/**
 * The arguments of `trustflow run` (issue 16 item 10), parsed without the server's code: a bad
 * flag is answered (exit 2) before the engine is loaded.
 *
 *   trustflow run <flow-file> [--inputs file.json] [--dataset file] [--faults file]
 *                 [--scripted file.json] [--approve] [--form <stepId>=<file.json>]... [--json]
 */

/** What `trustflow run` was asked to do. */
export interface RunArgs {
  flowFile: string;
  inputsFile?: string;
  datasetFile?: string;
  faultsFile?: string;
  /** A scripted model (JSON) that answers the run's agent steps instead of the demo model. */
  scriptedFile?: string;
  /** Answer approval, form and policy-exception steps in this local session. */
  approve: boolean;
  /** A form step's values, read from a JSON file (`--form step=values.json`). */
  forms: Map<string, string>;
  json: boolean;
}

export const RUN_USAGE = `Usage:
  trustflow run <flow-file> [options]     run a flow in a fresh local sandbox session

Options:
  --inputs <file.json>        the run's inputs (a JSON object)
  --dataset <file>            seed the session's mock CRM/Billing/CLM records (JSON or JSON Lines)
  --faults <file.json>        fault rules of the mocks, per system: {"crm": <rule or [rules]>, ...}
  --scripted <file.json>      agent steps answer from this scripted model instead of the demo
                              model: {"rules": [{"kind": "contains"|"pattern", "value", "answer"}],
                              "recorded": [...], "fallback": "demo"|"error"} (what the API's
                              scriptedModel.create takes, or scriptedModel.get gives; "name"
                              optional). Rules match the prompt in order: a literal substring or
                              an RE2 pattern; "answer" is the model's reply (JSON text for agent
                              steps); unmatched calls get the demo model's answer, or fail with
                              "fallback": "error"
  --approve                   approve approval and policy-exception steps, submit form steps
  --form <stepId>=<file.json> the values --approve submits for that form step
  --json                      print one JSON document {status, steps: [{id, status, output, error}]}

Exit codes: 0 the run succeeded, 1 it failed, 2 usage, file or compile error.
`;

/** Flags that take a value. */
const VALUE_FLAGS = new Set(["--inputs", "--dataset", "--faults", "--scripted", "--form"]);

/** Parses `run`'s arguments (after `run`); returns them or a usage error message. */
export function parseRunArgs(argv: readonly string[]): RunArgs | { error: string } {
  const out: RunArgs = { flowFile: "", approve: false, forms: new Map(), json: false };
  const files: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const raw = argv[i]!;
    if (!raw.startsWith("--")) {
      if (raw.startsWith("-") && raw !== "-") return { error: `Unknown option \`${raw}\`.` };
      files.push(raw);
      continue;
    }
    // `--inputs=file.json` as well as `--inputs file.json`.
    const eq = raw.indexOf("=");
    const flag = eq > 0 ? raw.slice(0, eq) : raw;
    if (flag === "--approve" || flag === "--json") {
      if (eq > 0) return { error: `\`${flag}\` takes no value.` };
      if (flag === "--approve") out.approve = true;
      else out.json = true;
      continue;
    }
    if (!VALUE_FLAGS.has(flag)) return { error: `Unknown option \`${flag}\`.` };
    let value: string | undefined;
    if (eq > 0) value = raw.slice(eq + 1);
    else {
      value = argv[i + 1];
      i++;
    }
    if (value === undefined || value === "" || (eq < 0 && value.startsWith("--")))
      return { error: `\`${flag}\` needs a value.` };
    if (flag === "--form") {
      const at = value.indexOf("=");
      if (at <= 0 || at === value.length - 1)
        return { error: "`--form` wants <stepId>=<file.json>, e.g. --form review=review.json." };
      const step = value.slice(0, at);
      if (out.forms.has(step)) return { error: `\`--form ${step}=…\` is given twice.` };
      out.forms.set(step, value.slice(at + 1));
      continue;
    }
    const key =
      flag === "--inputs"
        ? "inputsFile"
        : flag === "--dataset"
          ? "datasetFile"
          : flag === "--scripted"
            ? "scriptedFile"
            : "faultsFile";
    if (out[key] !== undefined) return { error: `\`${flag}\` is given twice.` };
    out[key] = value;
  }
  if (files.length !== 1)
    return {
      error: files.length === 0 ? "Name the flow file to run." : "Run one flow file at a time.",
    };
  if (out.forms.size > 0 && !out.approve)
    return { error: "`--form` gives the values `--approve` submits: add `--approve`." };
  out.flowFile = files[0]!;
  return out;
}
