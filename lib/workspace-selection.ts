/**
 * The workspace the browser acts in. The server reads it from a request header (the name must
 * match `WORKSPACE_HEADER` in server/trpc/context.ts; components never import server/, so it is
 * repeated here). The choice survives reloads in localStorage and is mirrored in a cookie so
 * server-rendered pages could use it too.
 */
export const WORKSPACE_HEADER = "x-trustflow-workspace";
export const WORKSPACE_COOKIE = "tf_ws";
const STORAGE_KEY = "trustflow.workspace";

export function readSelectedWorkspace(): string | null {
  if (typeof window === "undefined") return null;
  try {
    return window.localStorage.getItem(STORAGE_KEY);
  } catch {
    return null;
  }
}

export function writeSelectedWorkspace(id: string | null): void {
  if (typeof window === "undefined") return;
  try {
    if (id) window.localStorage.setItem(STORAGE_KEY, id);
    else window.localStorage.removeItem(STORAGE_KEY);
  } catch {
    // Storage can be unavailable (private mode); the cookie still carries the choice.
  }
  document.cookie = id
    ? `${WORKSPACE_COOKIE}=${encodeURIComponent(id)}; Path=/; Max-Age=31536000; SameSite=Lax`
    : `${WORKSPACE_COOKIE}=; Path=/; Max-Age=0; SameSite=Lax`;
}
