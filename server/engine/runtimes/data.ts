/** Data runtimes: pure transformations (deterministic, recomputed after a crash). */
import { NonRetryableError } from "../errors";
import type { BlockRuntime } from "../ports";
import { asObject, schemaErrors } from "./support";

/** `data.transform`: each key of `fields` is a CEL expression; the output holds the results. */
export const transformRuntime: BlockRuntime = {
  pure: true,
  execute({ inputs, services }) {
    const out: Record<string, unknown> = {};
    for (const [k, src] of Object.entries(asObject(inputs.fields)))
      out[k] = services.evaluate(String(src));
    return out;
  },
};

/**
 * Repairs almost-JSON: code fences, single quotes, trailing commas, comments, unquoted keys and
 * truncated output (unclosed strings, arrays and objects). Returns the value and the changes.
 *
 * @example
 * repairJson("```json\n{'a': 1,}\n```").value; // { a: 1 }
 */
export function repairJson(text: string): { value: unknown; repaired: boolean; changes: string[] } {
  const changes: string[] = [];
  const tryParse = (s: string): { ok: true; value: unknown } | { ok: false } => {
    try {
      return { ok: true, value: JSON.parse(s) as unknown };
    } catch {
      return { ok: false };
    }
  };
  let s = text.trim();
  let r = tryParse(s);
  if (r.ok) return { value: r.value, repaired: false, changes };
  const fence =
    /^```[a-zA-Z0-9]*\s*\n?([\s\S]*?)\n?```\s*$/.exec(s) ??
    /^```[a-zA-Z0-9]*\s*\n?([\s\S]*)$/.exec(s);
  if (fence) {
    s = fence[1]!.trim();
    changes.push("removed code fence");
  }
  const start = s.search(/[[{]/);
  if (start > 0) {
    s = s.slice(start);
    changes.push("removed text before the JSON value");
  }
  // One pass over the text, outside strings: quotes, comments, unquoted keys, trailing commas.
  let out = "";
  const stack: string[] = [];
  let inString: '"' | "'" | null = null;
  for (let i = 0; i < s.length; i++) {
    const c = s[i]!;
    if (inString) {
      if (c === "\\") {
        out += c + (s[i + 1] ?? "");
        i++;
        continue;
      }
      if (c === inString) {
        out += '"';
        inString = null;
        continue;
      }
      if (c === '"' && inString === "'") {
        out += '\\"';
        continue;
      }
      out += c;
      continue;
    }
    if (c === '"' || c === "'") {
      if (c === "'" && !changes.includes("replaced single quotes"))
        changes.push("replaced single quotes");
      inString = c;
      out += '"';
      continue;
    }
    if (c === "/" && s[i + 1] === "/") {
      const nl = s.indexOf("\n", i);
      i = nl === -1 ? s.length : nl - 1;
      if (!changes.includes("removed comments")) changes.push("removed comments");
      continue;
    }
    if (c === "{" || c === "[") stack.push(c === "{" ? "}" : "]");
    if (c === "}" || c === "]") {
      stack.pop();
      const trimmed = out.trimEnd();
      if (trimmed.endsWith(",")) {
        out = trimmed.slice(0, -1);
        if (!changes.includes("removed trailing commas")) changes.push("removed trailing commas");
      }
    }
    const key = /^([A-Za-z_$][\w$]*)\s*:/.exec(s.slice(i));
    if (key && /[{,]\s*$/.test(out)) {
      out += `"${key[1]}"`;
      i += key[1]!.length - 1;
      if (!changes.includes("quoted keys")) changes.push("quoted keys");
      continue;
    }
    out += c;
  }
  if (inString) {
    out += '"';
    changes.push("closed an unterminated string");
  }
  if (stack.length) {
    out = out.trimEnd().replace(/,$/, "").replace(/:\s*$/, ": null");
    out += stack.reverse().join("");
    changes.push("closed truncated brackets");
  }
  r = tryParse(out);
  if (!r.ok)
    throw new NonRetryableError("text could not be repaired into JSON", { detail: { changes } });
  return { value: r.value, repaired: true, changes };
}

/** `data.json.repair`: {@link repairJson}, then an optional schema check. */
export const jsonRepairRuntime: BlockRuntime = {
  pure: true,
  execute({ inputs }) {
    const result = repairJson(String(inputs.text ?? ""));
    if (inputs.schema !== undefined) {
      const errors = schemaErrors(inputs.schema, result.value);
      if (errors.length) {
        throw new NonRetryableError(
          `repaired JSON does not match the schema: ${errors[0]!.path} ${errors[0]!.message}`,
          {
            detail: { errors },
          },
        );
      }
    }
    return result;
  },
};

/** `data.schema.validate`: ajv (draft 2020-12); `mode: fail` fails the step on errors. */
export const schemaValidateRuntime: BlockRuntime = {
  pure: true,
  execute({ inputs }) {
    const errors = schemaErrors(inputs.schema, inputs.value);
    if (errors.length && inputs.mode !== "report") {
      throw new NonRetryableError(
        `value does not match the schema: ${errors.map((e) => `${e.path} ${e.message}`).join("; ")}`,
        {
          detail: { errors },
        },
      );
    }
    return { valid: errors.length === 0, errors };
  },
};
