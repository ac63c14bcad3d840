/**
 * Monaco providers for the flow language (`dsl/language`): completion, hover, go to definition
 * and quick fixes, for one editor's model only (the diff editor's YAML models are left to
 * monaco-yaml). Offsets are converted at this edge; the text is read once per model version.
 */
import type { Diagnostic, Span } from "@/dsl";
import {
  completionsAt,
  definitionAt,
  hoverAt,
  quickFixes,
  type CompletionKind,
  type LanguageEnv,
} from "@/dsl";
import type * as monaco from "monaco-editor";

type Monaco = typeof monaco;

/** A Monaco completion item with its documentation still to build. */
type LazyItem = monaco.languages.CompletionItem & { docs?: () => string };

export interface FlowLanguageOptions {
  /** The registry and the workspace's secret names, read on every request. */
  env: () => LanguageEnv;
  /** The compiler's diagnostics for exactly `text`, or undefined while they are being computed. */
  diagnostics: (text: string) => readonly Diagnostic[] | undefined;
  /** The owner of the diagnostics' markers (to link a quick fix to its marker). */
  markerOwner: string;
}

const KINDS = (m: Monaco): Record<CompletionKind, monaco.languages.CompletionItemKind> => ({
  block: m.languages.CompletionItemKind.Module,
  input: m.languages.CompletionItemKind.Property,
  value: m.languages.CompletionItemKind.EnumMember,
  step: m.languages.CompletionItemKind.Reference,
  field: m.languages.CompletionItemKind.Field,
  variable: m.languages.CompletionItemKind.Variable,
  secret: m.languages.CompletionItemKind.Constant,
  function: m.languages.CompletionItemKind.Function,
  method: m.languages.CompletionItemKind.Method,
  keyword: m.languages.CompletionItemKind.Keyword,
  snippet: m.languages.CompletionItemKind.Snippet,
});

/** Registers the providers for `editor`'s model; dispose the result when the editor goes. */
export function registerFlowLanguage(
  m: Monaco,
  editor: monaco.editor.IStandaloneCodeEditor,
  opts: FlowLanguageOptions,
): monaco.IDisposable {
  const kinds = KINDS(m);
  let cache: { model: monaco.editor.ITextModel; version: number; text: string } | undefined;
  /** The model's text when it is this editor's model (once per version: `getValue` joins lines). */
  const textOf = (model: monaco.editor.ITextModel): string | undefined => {
    if (model !== editor.getModel()) return undefined;
    const version = model.getVersionId();
    if (cache?.model !== model || cache.version !== version)
      cache = { model, version, text: model.getValue() };
    return cache.text;
  };
  const range = (model: monaco.editor.ITextModel, span: Span): monaco.IRange => {
    const a = model.getPositionAt(span.start);
    const b = model.getPositionAt(span.end);
    return new m.Range(a.lineNumber, a.column, b.lineNumber, b.column);
  };

  const completion = m.languages.registerCompletionItemProvider("yaml", {
    // `uses: ` (space), `steps.` (dot), `['`, `[a, ` (needs), `${{`.
    triggerCharacters: [".", " ", "[", "'", '"', ",", "{"],
    provideCompletionItems(model, position, context) {
      const text = textOf(model);
      if (text === undefined) return undefined;
      const offset = model.getOffsetAt(position);
      const r = completionsAt(text, offset, opts.env());
      if (!r) return { suggestions: [] };
      // A space opens the list after `uses:` or `key:`, not between the words of an expression.
      if (context.triggerCharacter === " " && r.context === "cel") return { suggestions: [] };
      const ranges = (span: Span) => ({
        replace: range(model, span),
        insert: range(model, { start: span.start, end: Math.min(span.end, offset) }),
      });
      const shared = ranges(r.span);
      const suggestions = r.items.map((item): LazyItem => {
        return {
          label: item.label,
          kind: kinds[item.kind],
          detail: item.detail,
          documentation:
            typeof item.documentation === "string" ? { value: item.documentation } : undefined,
          insertText: item.insertText,
          insertTextRules: item.snippet
            ? m.languages.CompletionItemInsertTextRule.InsertAsSnippet
            : undefined,
          range: item.span ? ranges(item.span) : shared,
          filterText: item.filterText,
          sortText: item.sortText,
          tags: item.deprecated ? [m.languages.CompletionItemTag.Deprecated] : undefined,
          command: item.retrigger
            ? { id: "editor.action.triggerSuggest", title: "Suggest" }
            : undefined,
          docs: typeof item.documentation === "function" ? item.documentation : undefined,
        };
      });
      // A cut list (a flow with very many steps) is asked for again as more is typed.
      return { suggestions, incomplete: r.incomplete === true };
    },
    // Documentation that costs something is built for the item the user looks at.
    resolveCompletionItem(item: LazyItem) {
      if (item.docs && !item.documentation) item.documentation = { value: item.docs() };
      return item;
    },
  });

  const hover = m.languages.registerHoverProvider("yaml", {
    provideHover(model, position) {
      const text = textOf(model);
      if (text === undefined) return undefined;
      const h = hoverAt(text, model.getOffsetAt(position), opts.env());
      if (!h) return undefined;
      return { range: range(model, h.span), contents: [{ value: h.markdown }] };
    },
  });

  const definition = m.languages.registerDefinitionProvider("yaml", {
    provideDefinition(model, position) {
      const text = textOf(model);
      if (text === undefined) return undefined;
      const d = definitionAt(text, model.getOffsetAt(position), opts.env());
      if (!d) return undefined;
      return { uri: model.uri, range: range(model, d.span) };
    },
  });

  const actions = m.languages.registerCodeActionProvider(
    "yaml",
    {
      provideCodeActions(model, requested) {
        const text = textOf(model);
        if (text === undefined) return undefined;
        const diagnostics = opts.diagnostics(text);
        if (!diagnostics || diagnostics.length === 0) return undefined;
        const from = model.getOffsetAt(requested.getStartPosition());
        const to = model.getOffsetAt(requested.getEndPosition());
        const near = diagnostics.filter((d) => d.span.start <= to && d.span.end >= from);
        if (near.length === 0) return undefined;
        const markers = m.editor.getModelMarkers({ owner: opts.markerOwner, resource: model.uri });
        const version = model.getVersionId();
        const list = quickFixes(text, near, opts.env()).map((fix): monaco.languages.CodeAction => {
          const at = model.getPositionAt(fix.diagnostic.span.start);
          const marker = markers.find(
            (mk) =>
              mk.startLineNumber === at.lineNumber &&
              mk.startColumn === at.column &&
              (typeof mk.code === "string" ? mk.code : mk.code?.value) === fix.diagnostic.code,
          );
          return {
            title: fix.title,
            kind: "quickfix",
            isPreferred: fix.preferred,
            diagnostics: marker ? [marker] : undefined,
            edit: {
              edits: fix.edits.map((e) => ({
                resource: model.uri,
                versionId: version,
                textEdit: { range: range(model, e.span), text: e.text },
              })),
            },
          };
        });
        return { actions: list, dispose() {} };
      },
    },
    { providedCodeActionKinds: ["quickfix"] },
  );

  return {
    dispose() {
      completion.dispose();
      hover.dispose();
      definition.dispose();
      actions.dispose();
      cache = undefined;
    },
  };
}
