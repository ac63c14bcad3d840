"use client";

import { useId, useMemo, type ReactNode } from "react";
import type { BlockRegistry, FlowEdit, JsonSchema } from "@/dsl";
import type { FlowGraph } from "@/lib/studio/flow-graph";
import { useStudio } from "@/lib/studio/use-studio";
import { useStudioContext } from "./studio-context";

type Json = Record<string, unknown>;
const isObj = (v: unknown): v is Json => typeof v === "object" && v !== null && !Array.isArray(v);

const inputClass =
  "h-7 w-full rounded border border-zinc-300 bg-white px-1.5 font-mono text-[11px] disabled:bg-zinc-50";

/** Reads what the user typed: numbers stay numbers, empty means "remove the key". */
function parseScalar(raw: string, type: unknown): unknown {
  const v = raw.trim();
  if (v === "") return undefined;
  if ((type === "number" || type === "integer") && /^-?\d+(\.\d+)?$/.test(v)) return Number(v);
  if (type === "boolean" && (v === "true" || v === "false")) return v === "true";
  return raw;
}

const show = (v: unknown) =>
  v === undefined || v === null ? "" : typeof v === "string" ? v : JSON.stringify(v);

/**
 * A form for the selected step, generated from its block's input JSON Schema, plus the step's
 * own settings. Every change is one `applyEdit` (set-input / set-field), committed on blur or
 * Enter, so it is one undo step.
 */
export function Inspector() {
  const { store, registry, readOnly } = useStudioContext();
  const selection = useStudio(store, (s) => s.selection);
  const graph = useStudio(store, (s) => s.graph);
  const listId = useId();
  const id = selection.length === 1 ? selection[0]! : null;
  const doc = id && graph ? graph.docs[id] : undefined;
  const suggestions = useMemo(
    () => (graph && id ? expressionSuggestions(graph, registry, id) : []),
    [graph, registry, id],
  );

  if (selection.length > 1) {
    return <p className="p-3 text-xs text-zinc-600">{selection.length} steps selected.</p>;
  }
  if (!id || !doc) {
    return (
      <p className="p-3 text-xs text-zinc-600">
        Select a step on the canvas to edit its inputs and settings.
      </p>
    );
  }
  const resolved = typeof doc.uses === "string" ? registry.resolve(doc.uses) : undefined;
  const block = resolved?.ok ? resolved.block : undefined;
  const edit = (e: FlowEdit) => {
    if (!readOnly) store.edit(e);
  };
  const setField = (path: string[], value: unknown) => edit({ type: "set-field", id, path, value });
  const get = (path: string[]) =>
    path.reduce<unknown>((v, k) => (isObj(v) ? v[k] : undefined), doc);

  return (
    <form
      aria-label={`Inspector for ${id}`}
      className="space-y-3 p-3 text-xs"
      onSubmit={(e) => e.preventDefault()}
    >
      <datalist id={listId}>
        {suggestions.map((s) => (
          <option key={s} value={s} />
        ))}
      </datalist>
      <header>
        <Text
          label="Step id"
          value={id}
          disabled={readOnly}
          onCommit={(v) => v && v !== id && edit({ type: "rename-step", from: id, to: v.trim() })}
        />
        <p className="mt-1 text-zinc-600">
          {block ? (
            <>
              <span className="font-mono">{String(doc.uses)}</span> · {block.title}
            </>
          ) : (
            <span className="text-red-700">Unknown block {String(doc.uses ?? "")}</span>
          )}
        </p>
      </header>
      {block && (
        <fieldset className="space-y-2 rounded border border-zinc-200 p-2">
          <legend className="px-1 font-semibold">Inputs</legend>
          <SchemaFields
            schema={block.inputSchema}
            value={isObj(doc.with) ? doc.with : {}}
            path={[]}
            listId={listId}
            disabled={readOnly}
            onSet={(key, value) => edit({ type: "set-input", id, key, value })}
          />
        </fieldset>
      )}
      <fieldset className="grid grid-cols-2 gap-2 rounded border border-zinc-200 p-2">
        <legend className="px-1 font-semibold">Step settings</legend>
        <Select
          label="SLA tier"
          value={show(get(["sla"]))}
          options={["", "T0", "T1", "T2"]}
          disabled={readOnly}
          onCommit={(v) => setField(["sla"], v || undefined)}
        />
        <Text
          label="Retry max"
          value={show(get(["retry", "max"]))}
          disabled={readOnly}
          onCommit={(v) => setField(["retry", "max"], parseScalar(v, "integer"))}
        />
        <Text
          label="Timeout"
          value={show(get(["timeout"]))}
          placeholder="30s"
          disabled={readOnly}
          onCommit={(v) => setField(["timeout"], parseScalar(v, "string"))}
        />
        <Text
          label="Trust min"
          value={show(get(["trust", "min"]))}
          placeholder="0.9"
          disabled={readOnly}
          onCommit={(v) => setField(["trust", "min"], parseScalar(v, "number"))}
        />
        <Select
          label="Consent purpose"
          value={show(get(["consent", "purpose"]))}
          options={["", ...(graph?.purposes ?? [])]}
          disabled={readOnly}
          onCommit={(v) => setField(["consent", "purpose"], v || undefined)}
        />
        {block?.kind === "agent" && (
          <>
            <Text
              label="Model route"
              value={show(get(["model", "route"]))}
              placeholder="summarization"
              disabled={readOnly}
              onCommit={(v) => setField(["model", "route"], parseScalar(v, "string"))}
            />
            <Text
              label="Budget (USD)"
              value={show(get(["model", "budget_usd"]))}
              placeholder="0.05"
              disabled={readOnly}
              onCommit={(v) => setField(["model", "budget_usd"], parseScalar(v, "number"))}
            />
          </>
        )}
      </fieldset>
    </form>
  );
}

/** `${{ inputs.* }}` and `${{ steps.<id>.output.* }}` from the flow and the blocks' outputs. */
function expressionSuggestions(graph: FlowGraph, registry: BlockRegistry, self: string): string[] {
  const out = graph.inputNames.map((n) => `\${{ inputs.${n} }}`);
  for (const s of graph.steps) {
    if (s.stepId === self) continue;
    const r = s.uses ? registry.resolve(s.uses) : undefined;
    const props =
      r?.ok && isObj(r.block.outputSchema.properties) ? r.block.outputSchema.properties : {};
    const ref = /^[A-Za-z_][A-Za-z0-9_]*$/.test(s.stepId)
      ? `steps.${s.stepId}`
      : `steps['${s.stepId}']`;
    out.push(`\${{ ${ref}.output }}`);
    for (const f of Object.keys(props)) out.push(`\${{ ${ref}.output.${f} }}`);
  }
  return out;
}

function SchemaFields({
  schema,
  value,
  path,
  listId,
  disabled,
  onSet,
}: {
  schema: JsonSchema;
  value: Json;
  path: string[];
  listId: string;
  disabled: boolean;
  onSet: (key: string, value: unknown) => void;
}) {
  const props = isObj(schema.properties) ? (schema.properties as Record<string, JsonSchema>) : {};
  const required = new Set(Array.isArray(schema.required) ? (schema.required as string[]) : []);
  return (
    <>
      {Object.entries(props).map(([name, s]) => {
        const key = [...path, name].join(".");
        const label = (
          <>
            {name}
            {required.has(name) && (
              <span className="text-red-700" aria-label="required">
                {" "}
                *
              </span>
            )}
          </>
        );
        const v = value[name];
        const isExpr = typeof v === "string" && v.includes("${{");
        if (s.type === "object" && isObj(s.properties) && !isExpr) {
          return (
            <fieldset key={key} className="space-y-2 rounded border border-zinc-200 p-2">
              <legend className="px-1 font-medium">{label}</legend>
              <SchemaFields
                schema={s}
                value={isObj(v) ? v : {}}
                path={[...path, name]}
                listId={listId}
                disabled={disabled}
                onSet={onSet}
              />
            </fieldset>
          );
        }
        if (Array.isArray(s.enum) && !isExpr) {
          return (
            <Select
              key={key}
              label={label}
              value={show(v)}
              options={["", ...s.enum.map(String)]}
              disabled={disabled}
              onCommit={(x) =>
                onSet(
                  key,
                  x === "" ? undefined : (s.enum as unknown[]).find((e) => String(e) === x),
                )
              }
            />
          );
        }
        if (
          (s.type === "array" || s.type === "object" || s.type === undefined) &&
          !isExpr &&
          typeof v !== "string"
        ) {
          return (
            <JsonField
              key={key}
              label={label}
              value={v === undefined ? "" : JSON.stringify(v, null, 1)}
              disabled={disabled}
              onCommit={(x) => onSet(key, x)}
            />
          );
        }
        return (
          <Text
            key={key}
            label={label}
            value={show(v)}
            listId={listId}
            placeholder={typeof s.description === "string" ? s.description : undefined}
            disabled={disabled}
            onCommit={(x) => onSet(key, parseScalar(x, s.type))}
          />
        );
      })}
    </>
  );
}

function Text({
  label,
  value,
  onCommit,
  listId,
  placeholder,
  disabled,
}: {
  label: ReactNode;
  value: string;
  onCommit: (v: string) => void;
  listId?: string;
  placeholder?: string;
  disabled: boolean;
}) {
  return (
    <label className="block">
      <span className="mb-0.5 block text-zinc-700">{label}</span>
      <input
        // Remounts when the text changes elsewhere (editor, undo), so it shows the current value.
        key={value}
        defaultValue={value}
        list={listId}
        placeholder={placeholder}
        disabled={disabled}
        className={inputClass}
        onBlur={(e) => e.target.value !== value && onCommit(e.target.value)}
        onKeyDown={(e) => {
          if (e.key === "Enter") {
            e.preventDefault();
            (e.target as HTMLInputElement).blur();
          }
        }}
      />
    </label>
  );
}

function Select({
  label,
  value,
  options,
  onCommit,
  disabled,
}: {
  label: ReactNode;
  value: string;
  options: string[];
  onCommit: (v: string) => void;
  disabled: boolean;
}) {
  const all = options.includes(value) ? options : [...options, value];
  return (
    <label className="block">
      <span className="mb-0.5 block text-zinc-700">{label}</span>
      <select
        value={value}
        disabled={disabled}
        className={inputClass}
        onChange={(e) => onCommit(e.target.value)}
      >
        {all.map((o) => (
          <option key={o} value={o}>
            {o === "" ? "(default)" : o}
          </option>
        ))}
      </select>
    </label>
  );
}

function JsonField({
  label,
  value,
  onCommit,
  disabled,
}: {
  label: ReactNode;
  value: string;
  onCommit: (v: unknown) => void;
  disabled: boolean;
}) {
  return (
    <label className="block">
      <span className="mb-0.5 block text-zinc-700">{label} (JSON)</span>
      <textarea
        key={value}
        defaultValue={value}
        rows={3}
        disabled={disabled}
        className="w-full rounded border border-zinc-300 p-1.5 font-mono text-[11px]"
        onBlur={(e) => {
          const raw = e.target.value.trim();
          if (raw === value.trim()) return;
          if (raw === "") return onCommit(undefined);
          try {
            onCommit(JSON.parse(raw));
            e.target.setCustomValidity("");
          } catch {
            e.target.setCustomValidity("Not valid JSON");
            e.target.reportValidity();
          }
        }}
      />
    </label>
  );
}
