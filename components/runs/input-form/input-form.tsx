"use client";

import { useId, type ReactNode } from "react";
import { Button } from "@/components/ui/button";
import { inputClass } from "@/components/ui/field";
import { draftAt, type Draft } from "./form-values";
import { IdPicker } from "./id-picker";
import type { InputLookup } from "./lookups";
import { constraintsOf, showValue, type Field } from "./schema-fields";
import type { InputMode, RunInputsState } from "./use-run-inputs";

type Path = Array<string | number>;
const key = (path: Path) => path.join("/");

/**
 * The inputs of a run as a form generated from the flow's input schema, with JSON mode one click
 * away. Each field shows its type's control, a required marker, its description, examples,
 * default and constraints as help, and its errors once left or after a first try to start;
 * inputs that feed a connector lookup get a picker of valid ids.
 */
export function InputForm({
  state,
  lookups,
  serverErrors,
}: {
  state: RunInputsState;
  lookups: Map<string, InputLookup>;
  /** The server's refusal of the inputs, if any. */
  serverErrors?: string[];
}) {
  const jsonId = useId();
  const titleId = useId();
  const jsonErrors = [...state.jsonProblems, ...(serverErrors ?? [])];
  return (
    <div role="group" aria-labelledby={titleId} className="space-y-3" data-testid="run-inputs">
      <div className="flex items-center justify-between gap-2">
        <span id={titleId} className="text-xs font-medium text-zinc-700">
          Inputs
        </span>
        <div className="flex items-center gap-2">
          {state.mode === "form" && state.hasExamples && (
            <button
              type="button"
              onClick={state.fillInExamples}
              title="Fill every empty field that has an example with its first example"
              className="rounded-md border border-zinc-300 bg-white px-2 py-0.5 text-xs text-zinc-700 hover:bg-zinc-50"
            >
              Fill in examples
            </button>
          )}
          <ModeSwitch mode={state.mode} onChange={state.setMode} />
        </div>
      </div>
      {state.mode === "json" ? (
        <div className="space-y-1">
          <label htmlFor={jsonId} className="block text-xs font-medium text-zinc-700">
            Inputs (JSON)
          </label>
          <textarea
            id={jsonId}
            rows={Math.min(14, Math.max(5, state.json.split("\n").length + 1))}
            spellCheck={false}
            value={state.json}
            onChange={(e) => state.editJson(e.target.value)}
            aria-invalid={jsonErrors.length > 0}
            aria-describedby={jsonErrors.length ? `${jsonId}-error` : undefined}
            className={`${inputClass} font-mono text-xs`}
          />
          {jsonErrors.length > 0 && (
            <ul id={`${jsonId}-error`} className="space-y-0.5 text-xs text-red-700">
              {jsonErrors.map((p) => (
                <li key={p}>{p}</li>
              ))}
            </ul>
          )}
        </div>
      ) : state.fields.length === 0 ? (
        <p className="text-sm text-zinc-600">This flow takes no inputs.</p>
      ) : (
        <>
          {serverErrors && serverErrors.length > 0 && (
            <p role="alert" className="text-xs text-red-700">
              {serverErrors.join(" ")}
            </p>
          )}
          <div className="space-y-3">
            {state.fields.map((f) => (
              <FieldControl
                key={f.name}
                field={f}
                path={[f.name]}
                state={state}
                lookup={lookups.get(f.name)}
              />
            ))}
          </div>
          {state.fields.some((f) => f.required) && (
            <p className="text-[11px] text-zinc-500">
              <span aria-hidden>*</span> required
            </p>
          )}
        </>
      )}
    </div>
  );
}

function ModeSwitch({ mode, onChange }: { mode: InputMode; onChange: (m: InputMode) => void }) {
  return (
    <div
      role="radiogroup"
      aria-label="Edit the inputs as"
      className="flex overflow-hidden rounded-md border border-zinc-300 text-xs"
    >
      {(["form", "json"] as const).map((m) => (
        <button
          key={m}
          type="button"
          role="radio"
          aria-checked={mode === m}
          onClick={() => onChange(m)}
          className={`px-2 py-0.5 ${mode === m ? "bg-accent-600 text-white" : "bg-white text-zinc-700 hover:bg-zinc-50"}`}
        >
          {m === "form" ? "Form" : "JSON"}
        </button>
      ))}
    </div>
  );
}

/** The help under a field: description, examples, default, constraints. */
function helpOf(field: Field): ReactNode {
  const parts: string[] = [];
  if (field.description) parts.push(field.description);
  if (field.examples.length)
    parts.push(
      `${field.examples.length === 1 ? "Example" : "Examples"}: ${field.examples
        .slice(0, 3)
        .map(showValue)
        .join(", ")}`,
    );
  if (field.hasDefault) parts.push(`Default: ${showValue(field.default)}`);
  parts.push(...constraintsOf(field));
  return parts.length ? parts.join(" · ") : null;
}

/** A label with its required marker (the control carries `aria-required` for screen readers). */
function Label({ htmlFor, field, text }: { htmlFor?: string; field: Field; text: string }) {
  const content = (
    <>
      {text}
      {field.required && (
        <span aria-hidden className="ml-0.5 text-red-700">
          *
        </span>
      )}
      <span className="ml-1.5 font-normal text-zinc-400">{typeLabel(field)}</span>
    </>
  );
  return htmlFor ? (
    <label htmlFor={htmlFor} className="block text-xs font-medium text-zinc-700">
      {content}
    </label>
  ) : (
    <span className="block text-xs font-medium text-zinc-700">{content}</span>
  );
}

function typeLabel(f: Field): string {
  switch (f.kind) {
    case "enum":
      return "choice";
    case "json":
      return "JSON";
    case "array":
      return "list";
    default:
      return f.kind;
  }
}

function FieldControl({
  field,
  path,
  state,
  lookup,
  label,
  onRemove,
}: {
  field: Field;
  path: Path;
  state: RunInputsState;
  lookup?: InputLookup;
  /** Overrides the field's label (array items: "invoiceIds 2"). */
  label?: string;
  onRemove?: () => void;
}) {
  const id = useId();
  const p = key(path);
  const draft = draftAt(state.drafts, path);
  const errors = state.errorsAt(p);
  const help = helpOf(field);
  const helpId = `${id}-help`;
  const errorId = `${id}-error`;
  const describedBy =
    [help ? helpId : null, errors?.length ? errorId : null].filter(Boolean).join(" ") || undefined;
  const text = label ?? field.label;
  const set = (next: Draft) => state.setDraft(path, next);
  const common = {
    id,
    "aria-describedby": describedBy,
    "aria-invalid": Boolean(errors?.length),
    "aria-required": field.required || undefined,
    onBlur: () => state.touch(p),
  };
  const str = typeof draft === "string" ? draft : "";

  if (field.kind === "array" || field.kind === "object") {
    return (
      <fieldset className="space-y-2 rounded-md border border-zinc-200 px-2 pb-2">
        <legend className="px-1">
          <Label field={field} text={text} />
        </legend>
        {onRemove && (
          <div className="flex justify-end">
            <RemoveButton label={text} onClick={onRemove} />
          </div>
        )}
        <Help id={helpId} help={help} errors={errors} errorId={errorId} />
        {field.kind === "object"
          ? field.fields.map((c) => (
              <FieldControl key={c.name} field={c} path={[...path, c.name]} state={state} />
            ))
          : (Array.isArray(draft) ? draft : []).map((_, i) => (
              <FieldControl
                key={i}
                field={field.item}
                path={[...path, i]}
                state={state}
                lookup={lookup?.many ? lookup : undefined}
                label={`${text} ${i + 1}`}
                onRemove={() => {
                  const list = Array.isArray(draft) ? draft : [];
                  set(list.filter((_, j) => j !== i));
                }}
              />
            ))}
        {field.kind === "array" && (
          <Button
            size="sm"
            variant="ghost"
            onClick={() => set([...(Array.isArray(draft) ? draft : []), emptyItem(field.item)])}
          >
            Add {text}
          </Button>
        )}
      </fieldset>
    );
  }

  let control: ReactNode;
  switch (field.kind) {
    case "boolean":
      control =
        field.required || field.hasDefault ? (
          <input
            type="checkbox"
            {...common}
            checked={str === "true"}
            onChange={(e) => set(e.target.checked ? "true" : "false")}
            className="size-4 rounded border-zinc-300 accent-accent-600"
          />
        ) : (
          <select
            {...common}
            value={str}
            onChange={(e) => set(e.target.value)}
            className={inputClass}
          >
            <option value="">Not set</option>
            <option value="true">true</option>
            <option value="false">false</option>
          </select>
        );
      break;
    case "enum":
      control = (
        <select
          {...common}
          value={str}
          onChange={(e) => set(e.target.value)}
          className={inputClass}
        >
          <option value="" disabled={field.required}>
            {field.required ? "Choose…" : "Not set"}
          </option>
          {field.options.map((o, i) => (
            <option key={i} value={String(i)}>
              {showValue(o)}
            </option>
          ))}
        </select>
      );
      break;
    case "json":
      control = (
        <textarea
          {...common}
          rows={3}
          spellCheck={false}
          value={str}
          placeholder={field.examples.length ? JSON.stringify(field.examples[0]) : "JSON"}
          onChange={(e) => set(e.target.value)}
          className={`${inputClass} font-mono text-xs`}
        />
      );
      break;
    case "number":
    case "integer":
      control = (
        <input
          type="text"
          inputMode={field.kind === "integer" ? "numeric" : "decimal"}
          autoComplete="off"
          {...common}
          value={str}
          placeholder={placeholderOf(field)}
          onChange={(e) => set(e.target.value)}
          className={inputClass}
        />
      );
      break;
    case "string":
      control = (
        <input
          type="text"
          autoComplete="off"
          spellCheck={false}
          {...common}
          value={str}
          placeholder={placeholderOf(field)}
          onChange={(e) => set(e.target.value)}
          className={inputClass}
        />
      );
      break;
  }

  return (
    <div className="space-y-1">
      <div className="flex items-center justify-between gap-2">
        <Label htmlFor={id} field={field} text={text} />
        {onRemove && <RemoveButton label={text} onClick={onRemove} />}
      </div>
      {field.kind === "string" && lookup ? (
        <div className="space-y-1">
          {control}
          <IdPicker lookup={lookup} label={text} value={str} onPick={(v) => set(v)} />
        </div>
      ) : (
        control
      )}
      <Help id={helpId} help={help} errors={errors} errorId={errorId} />
    </div>
  );
}

function placeholderOf(f: Field): string | undefined {
  const example = f.examples[0];
  return example !== undefined ? `e.g. ${showValue(example)}` : undefined;
}

function emptyItem(f: Field): Draft {
  if (f.kind === "array") return [];
  if (f.kind === "object") return Object.fromEntries(f.fields.map((c) => [c.name, emptyItem(c)]));
  return "";
}

function RemoveButton({ label, onClick }: { label: string; onClick: () => void }) {
  return (
    <button
      type="button"
      onClick={onClick}
      aria-label={`Remove ${label}`}
      className="text-[11px] text-zinc-500 hover:text-red-700 hover:underline"
    >
      Remove
    </button>
  );
}

function Help({
  id,
  help,
  errors,
  errorId,
}: {
  id: string;
  help: ReactNode;
  errors?: string[];
  errorId: string;
}) {
  return (
    <>
      {help && (
        <p id={id} className="text-xs text-zinc-500">
          {help}
        </p>
      )}
      {errors && errors.length > 0 && (
        <p id={errorId} className="text-xs text-red-700">
          {errors.join(" ")}
        </p>
      )}
    </>
  );
}
