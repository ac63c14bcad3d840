"use client";

import { createContext, use, type RefObject } from "react";
import type { BlockRegistry } from "@/dsl";
import type { StudioStore } from "@/lib/studio/studio-store";
import type { SandboxRunMarks } from "../sandbox/sandbox-run-marks";
import type { CanvasApi } from "../canvas/flow-canvas";

/** The side panel's tabs. */
export type SideTab = "inspector" | "problems" | "versions" | "sandbox" | "stats";

/** One side of a comparison: a saved version's text, or the draft on screen (live). */
export type CompareSide = { label: string; text: string } | { label: string; draft: true };

export interface Comparison {
  before: CompareSide;
  after: CompareSide;
}

/**
 * What every part of the studio shares: the store (the flow text and what derives from it, with
 * its actions), the registry, the workflow, whether it may be edited, and the studio's own
 * commands. The fields do not change while one types (`readOnly` once, when the role is known),
 * so reading the context does not re-render a part per keystroke; parts subscribe to the store
 * for what does (`useStudio`).
 */
export interface StudioContextValue {
  store: StudioStore;
  registry: BlockRegistry;
  workflowId: string;
  readOnly: boolean;
  /** Saves the draft now (the button, Ctrl+S, before a run); a no-op when nothing changed. */
  saveDraft: () => Promise<void>;
  /** Shows a side panel tab, unfolding the panel. */
  openTab: (tab: SideTab) => void;
  /** Opens the full-size comparison of two texts. */
  openCompare: (comparison: Comparison) => void;
  /** The canvas's imperative side (the palette's + button); null until the canvas mounted. */
  canvasApi: RefObject<CanvasApi | null>;
  /** The results of the last draft run in a sandbox session, per step (the canvas shows them). */
  sandboxRun: SandboxRunMarks;
}

const StudioContext = createContext<StudioContextValue | null>(null);

export const StudioProvider = StudioContext.Provider;

/** The studio's shared parts; only inside `<Studio>`. */
export function useStudioContext(): StudioContextValue {
  const value = use(StudioContext);
  if (!value) throw new Error("useStudioContext is used outside the studio.");
  return value;
}
