"use client";

import { useCallback, useMemo, useState } from "react";
import type { JsonSchema } from "@/dsl";
import {
  draftsFromValue,
  fillExamples,
  initialDrafts,
  parseInputsJson,
  readDrafts,
  setDraftAt,
  type Draft,
  type Drafts,
} from "./form-values";
import { fieldsOf, type Field } from "./schema-fields";

export type InputMode = "form" | "json";

/**
 * The Run form's state for one input schema: the fields' drafts, or the JSON text in JSON mode,
 * and the switch between them (form → JSON always; JSON → form when the form can show the JSON
 * unchanged, else the reasons). Mount it with a `key` per schema: a new schema starts afresh.
 * `initial` prefills the form (a `human.form`'s `prefill`) when the form can show it unchanged.
 */
export function useRunInputs(schema: JsonSchema, initial?: unknown) {
  const fields: Field[] = useMemo(() => fieldsOf(schema), [schema]);
  const [mode, setModeState] = useState<InputMode>("form");
  const [drafts, setDrafts] = useState<Drafts>(() => {
    const prefilled = initial === undefined ? null : draftsFromValue(fields, initial);
    return prefilled?.ok ? prefilled.drafts : initialDrafts(fields);
  });
  const [json, setJson] = useState("");
  const [jsonProblems, setJsonProblems] = useState<string[]>([]);
  /** Paths whose errors show: left by the user, or all after a first try to start. */
  const [touched, setTouched] = useState<Set<string>>(() => new Set());
  const [submitted, setSubmitted] = useState(false);
  const read = useMemo(() => readDrafts(fields, drafts), [fields, drafts]);

  const setDraft = useCallback(
    (path: Array<string | number>, next: Draft) => setDrafts((d) => setDraftAt(d, path, next)),
    [],
  );
  const touch = useCallback(
    (path: string) =>
      setTouched((t) => {
        if (t.has(path)) return t;
        const n = new Set(t);
        n.add(path);
        return n;
      }),
    [],
  );
  const editJson = useCallback((text: string) => {
    setJson(text);
    setJsonProblems([]);
  }, []);

  /** Switches mode; from JSON, only when the form can show the JSON as it is. */
  const setMode = (next: InputMode) => {
    if (next === mode) return;
    if (next === "json") {
      setJson(JSON.stringify(read.value, null, 2));
      setJsonProblems([]);
      setModeState("json");
      return;
    }
    const parsed = parseInputsJson(json);
    if (!parsed.ok) {
      setJsonProblems([parsed.error]);
      return;
    }
    const back = draftsFromValue(fields, parsed.value);
    if (!back.ok) {
      setJsonProblems(back.problems);
      return;
    }
    setDrafts(back.drafts);
    setModeState("form");
  };

  /** Fills every unset field that has an example with its first example. */
  const fillInExamples = () => setDrafts((d) => fillExamples(fields, d).drafts);
  const hasExamples = fields.some((f) => f.examples.length > 0);

  /** The inputs to start the run with, or null (the form then shows every error). */
  const value = (): Record<string, unknown> | null => {
    if (mode === "json") {
      const parsed = parseInputsJson(json);
      if (!parsed.ok) {
        setJsonProblems([parsed.error]);
        return null;
      }
      return parsed.value;
    }
    setSubmitted(true);
    return read.ok ? read.value : null;
  };

  const errorsAt = (path: string): string[] | undefined =>
    submitted || touched.has(path) ? read.errors[path] : undefined;

  return {
    fields,
    mode,
    setMode,
    drafts,
    setDraft,
    touch,
    errorsAt,
    json,
    editJson,
    jsonProblems,
    value,
    fillInExamples,
    hasExamples,
  };
}

export type RunInputsState = ReturnType<typeof useRunInputs>;
