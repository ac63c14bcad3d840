/**
 * Which flow inputs feed a connector lookup, so the Run form can offer a picker of valid ids:
 * an input passed as it is (`${{ inputs.accountId }}`) to a CRM, billing or CLM block's input
 * that is a record id (its schema has an id pattern: a prefix and a dash, `^ACC-[0-9]+$`), directly or as the items of
 * a `control.foreach` whose body passes `${{ item }}` to such an input. Pure; the picker asks
 * `connector.lookupRecords` for the ids.
 */
import type { BlockRegistry, CompiledValue, FlowIR, JsonSchema } from "@/dsl";

/** A flow input that names records of a mock service. */
export interface InputLookup {
  /** The flow input. */
  input: string;
  /** The block that looks the record up, as written: `billing.account.get@1`. */
  uses: string;
  /** The block input that takes the id. */
  field: string;
  /** True when the flow input is a list of ids (a foreach's items). */
  many: boolean;
}

const SYSTEMS = new Set(["crm", "billing", "clm"]);
const INPUT_REF = /^\s*inputs\.([A-Za-z_][A-Za-z0-9_]*)\s*$/;
const ITEM_REF = /^\s*item\s*$/;
/** The id patterns of the mock systems' records: a prefix, a dash (`^ACC-[0-9]+$`, `^CH-…`). */
const ID_PATTERN = /^\^[A-Z]{2,8}-/;

/** `inputs.<name>` when `v` is exactly that expression, else null. */
function inputRef(v: CompiledValue | undefined): string | null {
  return v?.kind === "expr" ? (INPUT_REF.exec(v.source)?.[1] ?? null) : null;
}

/** The block input `field` of `uses` when it is a connector's record id, else false. */
function isRecordId(registry: BlockRegistry, uses: string, field: string): boolean {
  const r = registry.resolve(uses);
  if (!r.ok || r.block.kind !== "connector" || !SYSTEMS.has(r.block.system ?? "")) return false;
  const props = (r.block.inputSchema.properties ?? {}) as Record<string, JsonSchema>;
  const schema = Object.hasOwn(props, field) ? props[field] : undefined;
  return typeof schema?.pattern === "string" && ID_PATTERN.test(schema.pattern);
}

/** The inputs of `ir` that feed a connector lookup, by input name (the first use wins). */
export function inputLookups(ir: FlowIR, registry: BlockRegistry): Map<string, InputLookup> {
  const out = new Map<string, InputLookup>();
  const props = (ir.inputsSchema.properties ?? {}) as Record<string, JsonSchema>;
  const typeOf = (name: string) => (Object.hasOwn(props, name) ? props[name]?.type : undefined);
  const add = (l: InputLookup) => {
    if (!out.has(l.input)) out.set(l.input, l);
  };
  for (const step of ir.steps) {
    const entries = step.inputs.entries;
    for (const [field, value] of Object.entries(entries)) {
      const name = inputRef(value);
      if (name && typeOf(name) === "string" && isRecordId(registry, step.uses, field))
        add({ input: name, uses: step.uses, field, many: false });
    }
    // control.foreach: `items: ${{ inputs.ids }}`, `do: { uses, with: { id: ${{ item }} } }`.
    const list = inputRef(entries.items);
    const body = entries.do;
    if (!list || typeOf(list) !== "array" || body?.kind !== "object") continue;
    const uses = body.entries.uses;
    const args = body.entries.with;
    if (uses?.kind !== "literal" || typeof uses.value !== "string" || args?.kind !== "object")
      continue;
    const itemType = (props[list]?.items as JsonSchema | undefined)?.type;
    if (itemType !== "string") continue;
    for (const [field, value] of Object.entries(args.entries)) {
      if (
        value.kind === "expr" &&
        ITEM_REF.test(value.source) &&
        isRecordId(registry, uses.value, field)
      )
        add({ input: list, uses: uses.value, field, many: true });
    }
  }
  return out;
}
