"use client";

import { useSyncExternalStore } from "react";
import type { StudioState, StudioStore } from "./studio-store";

/** Subscribes to one slice of the studio state (return a field, not a new object). */
export function useStudio<T>(store: StudioStore, select: (s: StudioState) => T): T {
  return useSyncExternalStore(
    store.subscribe,
    () => select(store.getState()),
    () => select(store.getState()),
  );
}
