/**
 * The studio's single source of truth: the flow text. Canvas, editor and inspector all change it
 * (the canvas and inspector through `applyEdit`, the editor by typing), and all read what is
 * derived from it: the graph, the diagnostics. One history of texts serves undo and redo for
 * every surface.
 *
 * Analysis runs in two phases so typing stays fast on big flows: a parse (enough for the graph)
 * right after the change, then a full compile (diagnostics, trust) in a later task.
 */
import {
  applyEdit,
  compile,
  parseFlow,
  policyLibrary,
  type BlockRegistry,
  type Diagnostic,
  type FlowDirectory,
  type FlowEdit,
  type FlowIR,
} from "@/dsl";
import { carryPositions, detectRenames, type Vanished } from "./carry-positions";
import { buildGraph, type FlowGraph } from "./flow-graph";
import { setAllPositions } from "./flow-text";
import { layoutGraph } from "./layout";
import { perfMark } from "./perf";
import { versionBlocker, type VersionBlocker } from "./version-plan";

export type TextOrigin = "load" | "editor" | "canvas" | "history";

/**
 * What one surface asks of another, once: the canvas to fit the flow in view, the editor to show
 * an offset. Commands are not state: they go to the surfaces listening at that moment.
 */
export type StudioCommand = { type: "fit-view" } | { type: "reveal"; offset: number };

export interface StudioState {
  text: string;
  /** Increments on every text change; surfaces compare it to know what they have applied. */
  revision: number;
  origin: TextOrigin;
  canUndo: boolean;
  canRedo: boolean;
  /** The last graph of a text that parsed; kept (and marked stale) while the YAML is broken. */
  graph: FlowGraph | null;
  /** The text revision the graph was built from. */
  graphRevision: number;
  stale: boolean;
  diagnostics: Diagnostic[];
  /** The text revision the diagnostics belong to. */
  diagnosticsRevision: number;
  ir: FlowIR | null;
  selection: string[];
  /**
   * Why "Save version" is off (the draft does not parse or has errors), or null. Decided when a
   * text's diagnostics are in and kept while the next keystroke compiles, so the button and its
   * reason do not flicker as one types (the dialog checks again on opening either way).
   */
  saveBlocker: VersionBlocker | null;
  /** The text last saved on the server. */
  savedText: string;
  /** A message for the user about the last edit that could not be applied. */
  notice: string | null;
}

/** Editor changes closer together than this become one undo step. */
const TYPING_GROUP_MS = 800;
const HISTORY_LIMIT = 200;

/** Text that may address a group or users (what the directory checks). */
const ADDRESSES_PEOPLE = /\b(group|users)\s*:/;

export class StudioStore {
  private state: StudioState;
  private readonly listeners = new Set<() => void>();
  private readonly commandListeners = new Set<(command: StudioCommand) => void>();
  private past: string[] = [];
  private future: string[] = [];
  private lastTyping = 0;
  private analyzeTimer: ReturnType<typeof setTimeout> | undefined;
  /** A step whose id was cleared while typing (see `carry-positions.ts`). */
  private vanished: Vanished | null = null;
  private compileTimer: ReturnType<typeof setTimeout> | undefined;
  /** The workspace's groups and members, once known: unknown ones are TF3060 while typing. */
  private directory: FlowDirectory | undefined;

  constructor(
    private readonly registry: BlockRegistry,
    text: string,
    private readonly opts: { parseDelayMs?: number } = {},
  ) {
    this.state = {
      text,
      revision: 0,
      origin: "load",
      canUndo: false,
      canRedo: false,
      graph: null,
      graphRevision: 0,
      stale: false,
      diagnostics: [],
      diagnosticsRevision: -1,
      ir: null,
      selection: [],
      saveBlocker: null,
      savedText: text,
      notice: null,
    };
    // Opening: the graph now (the canvas needs it for its first render), the full compile once
    // the first frame is painted; it used to run here synchronously and again from analyzeNow's
    // timer, two ~300 ms compiles of a 500-step flow before the studio could paint.
    this.analyzeNow({ deferCompile: true });
  }

  subscribe = (listener: () => void) => {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  };

  getState = () => this.state;

  /** Listens to commands between surfaces (see `StudioCommand`); returns the unsubscribe. */
  onCommand = (listener: (command: StudioCommand) => void) => {
    this.commandListeners.add(listener);
    return () => {
      this.commandListeners.delete(listener);
    };
  };

  private command(command: StudioCommand) {
    for (const l of this.commandListeners) l(command);
  }

  /**
   * `parses`: whether the text of the diagnostics in `patch` parses, when known (the compile
   * knows; the server's diagnostics do not say, so the text is parsed for them).
   */
  private set(patch: Partial<StudioState>, parses?: boolean) {
    const next = { ...this.state, ...patch };
    if (patch.diagnostics && next.diagnosticsRevision === next.revision) {
      next.saveBlocker = versionBlocker(next.text, next.diagnostics, parses);
    }
    this.state = next;
    for (const l of this.listeners) l();
  }

  /** Replaces the text (an editor change, an applied edit, a restored version). */
  setText(text: string, origin: TextOrigin) {
    if (text === this.state.text) return;
    const now = Date.now();
    const grouping = origin === "editor" && now - this.lastTyping < TYPING_GROUP_MS;
    if (origin === "load") {
      this.past = [];
      this.future = [];
    } else if (origin !== "history" && !grouping) {
      this.past.push(this.state.text);
      if (this.past.length > HISTORY_LIMIT) this.past.shift();
      this.future = [];
    } else if (grouping) {
      this.future = [];
    }
    this.lastTyping = origin === "editor" ? now : 0;
    this.set({
      text,
      revision: this.state.revision + 1,
      origin,
      canUndo: this.past.length > 0,
      canRedo: this.future.length > 0,
      notice: null,
      ...(origin === "load" ? { savedText: text } : {}),
    });
    this.scheduleAnalysis(origin === "editor" ? (this.opts.parseDelayMs ?? 30) : 0);
  }

  /** Applies a structured edit; a refused edit leaves the text and says why. */
  edit(edit: FlowEdit): boolean {
    const r = applyEdit(this.state.text, edit);
    if (!r.ok) {
      this.set({ notice: r.error });
      return false;
    }
    this.setText(r.text, "canvas");
    return true;
  }

  /** Applies several edits as one undo step; stops at the first refused one. */
  editAll(edits: FlowEdit[]): boolean {
    let text = this.state.text;
    for (const e of edits) {
      const r = applyEdit(text, e);
      if (!r.ok) {
        this.set({ notice: r.error });
        return false;
      }
      text = r.text;
    }
    this.setText(text, "canvas");
    return true;
  }

  undo() {
    const prev = this.past.pop();
    if (prev === undefined) return;
    this.future.push(this.state.text);
    this.setText(prev, "history");
  }

  redo() {
    const next = this.future.pop();
    if (next === undefined) return;
    this.past.push(this.state.text);
    this.setText(next, "history");
  }

  select(ids: string[]) {
    const cur = this.state.selection;
    if (cur.length === ids.length && cur.every((id, i) => id === ids[i])) return;
    this.set({ selection: ids });
  }

  /** Asks the editor to show `offset` (a problem clicked in the list). */
  revealOffset(offset: number) {
    this.command({ type: "reveal", offset });
  }

  /** Asks the canvas to fit the whole flow in view. */
  fitView() {
    this.command({ type: "fit-view" });
  }

  /** Lays every step out anew (one undo step), then fits the view. False when nothing to lay out. */
  autoLayout(): boolean {
    const g = this.state.graph;
    if (!g) return false;
    this.setText(setAllPositions(this.state.text, layoutGraph(g, { all: true })), "canvas");
    this.fitView();
    return true;
  }

  markSaved(text: string) {
    this.set({ savedText: text });
  }

  dismissNotice() {
    this.set({ notice: null });
  }

  /**
   * Sets the workspace's directory (groups, member emails) the compile checks addressing against.
   * Recompiles once when it changed; typing never refetches it.
   */
  setDirectory(directory: FlowDirectory) {
    const key = (d: FlowDirectory | undefined) => (d ? JSON.stringify([d.groups, d.users]) : "");
    if (key(directory) === key(this.directory)) return;
    const had = this.directory;
    this.directory = directory;
    // The directory only decides TF3060 on `group:` and `users:`: a text naming neither compiles
    // the same with any directory, and a compile still to come (opening) reads it anyway. So a
    // 500-step flow does not compile twice while it opens.
    const compiled = this.state.diagnosticsRevision === this.state.revision && this.state.ir;
    if (!ADDRESSES_PEOPLE.test(this.state.text) || (!had && !compiled)) return;
    clearTimeout(this.compileTimer);
    this.compileTimer = setTimeout(() => this.compileNow(), 0);
  }

  /**
   * The diagnostics of the text as it is now: the last compile's when it was of this revision,
   * else a compile now (with the directory, as the studio's compile does).
   */
  diagnosticsNow(): Diagnostic[] {
    const s = this.state;
    if (s.diagnosticsRevision === s.revision) return s.diagnostics;
    return compile(s.text, {
      registry: this.registry,
      policies: policyLibrary,
      ...(this.directory ? { directory: this.directory } : {}),
    }).diagnostics;
  }

  /** Merges the server's diagnostics for the text it compiled, when that is still the text. */
  setServerDiagnostics(text: string, diagnostics: Diagnostic[]) {
    if (text !== this.state.text) return;
    this.set({ diagnostics, diagnosticsRevision: this.state.revision });
  }

  private scheduleAnalysis(delay: number) {
    clearTimeout(this.analyzeTimer);
    clearTimeout(this.compileTimer);
    if (delay <= 0) this.analyzeNow();
    else this.analyzeTimer = setTimeout(() => this.analyzeNow(), delay);
  }

  /** Phase 1: parse and rebuild the graph (keeping the last good graph on a syntax error). */
  private analyzeNow(opts: { deferCompile?: boolean; carried?: boolean } = {}) {
    const text = this.state.text;
    const parsed = parseFlow(text);
    const broken = !parsed.ast; // an AST implies no YAML errors (reading document.errors would force the full parse)
    if (broken) {
      this.set({ stale: this.state.graph !== null });
    } else {
      const sameRevision = this.state.diagnosticsRevision === this.state.revision;
      const graph = buildGraph(
        parsed.ast,
        this.registry,
        // Until the compile phase runs, badges keep the previous counts (by step id).
        sameRevision ? this.state.diagnostics : this.state.diagnostics.filter((d) => d.stepId),
        sameRevision ? (this.state.ir ?? undefined) : undefined,
      );
      if (this.followRenames(graph, opts.carried === true)) {
        this.analyzeNow({ ...opts, carried: true });
        return;
      }
      this.set({ graph: this.keepIfSame(graph), graphRevision: this.state.revision, stale: false });
    }
    perfMark("tf:graph", this.state.revision);
    if (broken) {
      // A syntax error: its diagnostics are all there is to know.
      this.set(
        { diagnostics: parsed.diagnostics, diagnosticsRevision: this.state.revision, ir: null },
        false,
      );
      return;
    }
    if (opts.deferCompile && typeof requestAnimationFrame === "function") {
      // After the next frame (the first paint), then as a task of its own.
      requestAnimationFrame(() => {
        clearTimeout(this.compileTimer);
        this.compileTimer = setTimeout(() => this.compileNow(), 0);
      });
      return;
    }
    this.compileTimer = setTimeout(() => this.compileNow(), 0);
  }

  /**
   * A step renamed by typing keeps its canvas position: the `ui.positions` key follows the id.
   * The text is amended in place, in the same undo step as the typing. True when it changed.
   */
  private followRenames(graph: FlowGraph, carried: boolean): boolean {
    const prev = this.state.graph;
    if (carried || this.state.origin !== "editor" || !prev) {
      if (!carried) this.vanished = null;
      return false;
    }
    const slots = (g: FlowGraph) => g.steps.map((s) => ({ id: s.stepId, uses: s.uses }));
    const found = detectRenames(slots(prev), slots(graph), this.vanished);
    this.vanished = found.vanished;
    if (found.renames.length === 0) return false;
    const text = carryPositions(this.state.text, found.renames);
    if (text === this.state.text) return false;
    this.set({ text, revision: this.state.revision + 1 });
    return true;
  }

  /** Phase 2: the full compile, as the server does it. */
  private compileNow() {
    const text = this.state.text;
    const r = compile(text, {
      registry: this.registry,
      policies: policyLibrary,
      ...(this.directory ? { directory: this.directory } : {}),
    });
    const patch: Partial<StudioState> = {
      diagnostics: r.diagnostics,
      diagnosticsRevision: this.state.revision,
      ir: r.ir ?? null,
    };
    if (r.ast) {
      patch.graph = this.keepIfSame(buildGraph(r.ast, this.registry, r.diagnostics, r.ir));
      patch.graphRevision = this.state.revision;
      patch.stale = false;
    } else if (this.state.graph) patch.stale = true;
    this.set(patch, Boolean(r.ast));
    perfMark("tf:compiled", this.state.revision);
  }

  /**
   * The previous graph object when nothing in it changed (typing inside a description), so the
   * canvas does not re-render 500 nodes for a keystroke that changes none of them; otherwise
   * the new graph with the previous object of every step and edge that did not change, so the
   * canvas re-renders only the nodes that did (it compares them by identity).
   */
  private keepIfSame(graph: FlowGraph): FlowGraph {
    const prev = this.state.graph;
    if (!prev) return graph;
    const same =
      prev.steps.length === graph.steps.length &&
      prev.edges.length === graph.edges.length &&
      JSON.stringify(prev) === JSON.stringify(graph);
    if (same) return prev;
    return {
      ...graph,
      steps: reuseUnchanged(prev.steps, graph.steps, (s) => s.stepId),
      edges: reuseUnchanged(prev.edges, graph.edges, (e) => e.id),
    };
  }

  dispose() {
    clearTimeout(this.analyzeTimer);
    clearTimeout(this.compileTimer);
    this.listeners.clear();
    this.commandListeners.clear();
  }
}

/** `next` with each item that equals (as JSON) the `before` item of the same key replaced by it. */
function reuseUnchanged<T>(before: readonly T[], next: T[], key: (item: T) => string): T[] {
  const old = new Map(before.map((item) => [key(item), item]));
  return next.map((item) => {
    const prev = old.get(key(item));
    return prev !== undefined && JSON.stringify(prev) === JSON.stringify(item) ? prev : item;
  });
}
