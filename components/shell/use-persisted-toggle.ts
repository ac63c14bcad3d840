"use client";

import { useCallback, useSyncExternalStore } from "react";

/**
 * A boolean the user sets (a folded panel), kept in localStorage under `key` and shared by every
 * component reading the same key. `null` until the user chose: the caller's default applies.
 * The server renders with `null` too, so hydration never mismatches.
 */
export function usePersistedToggle(key: string): [boolean | null, (value: boolean) => void] {
  const value = useSyncExternalStore(
    subscribe,
    () => read(key),
    () => null,
  );
  const set = useCallback(
    (v: boolean) => {
      try {
        localStorage.setItem(key, v ? "1" : "0");
      } catch {
        // Storage refused (private mode, quota): the choice lasts for this page only.
        memory.set(key, v);
      }
      for (const l of listeners) l();
    },
    [key],
  );
  return [value, set];
}

const listeners = new Set<() => void>();
const memory = new Map<string, boolean>();

function subscribe(listener: () => void) {
  listeners.add(listener);
  const onStorage = () => listener();
  window.addEventListener("storage", onStorage);
  return () => {
    listeners.delete(listener);
    window.removeEventListener("storage", onStorage);
  };
}

function read(key: string): boolean | null {
  try {
    const v = localStorage.getItem(key);
    if (v === "1") return true;
    if (v === "0") return false;
  } catch {
    // Fall through to the in-page memory.
  }
  return memory.get(key) ?? null;
}
