/** A same-origin path to go to after signing in; anything else falls back to the studio. */
export function safeCallbackPath(value: string | string[] | undefined | null): string {
  const v = Array.isArray(value) ? value[0] : value;
  if (!v || !v.startsWith("/") || v.startsWith("//") || v.startsWith("/\\")) return "/workflows";
  if (v.startsWith("/sign-")) return "/workflows";
  return v;
}
