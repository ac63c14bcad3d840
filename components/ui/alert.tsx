import type { ReactNode } from "react";

type Tone = "error" | "success" | "warning" | "info";

const tones: Record<Tone, string> = {
  error: "border-red-200 bg-red-50 text-red-800",
  success: "border-emerald-200 bg-emerald-50 text-emerald-800",
  warning: "border-amber-200 bg-amber-50 text-amber-900",
  info: "border-zinc-200 bg-zinc-50 text-zinc-700",
};

/** An inline message. Errors are announced (`role="alert"`), the rest politely (`status`). */
export function Alert({
  tone = "info",
  children,
  action,
  className = "",
  testId,
}: {
  tone?: Tone;
  children: ReactNode;
  action?: ReactNode;
  className?: string;
  testId?: string;
}) {
  return (
    <div
      role={tone === "error" ? "alert" : "status"}
      data-testid={testId}
      className={`flex items-start justify-between gap-3 rounded-md border px-3 py-2 text-sm ${tones[tone]} ${className}`}
    >
      <div className="min-w-0">{children}</div>
      {action && <div className="shrink-0">{action}</div>}
    </div>
  );
}
