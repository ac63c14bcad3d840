"use client";

import { useState, type ReactNode } from "react";
import { Alert } from "@/components/ui/alert";
import { Button } from "@/components/ui/button";

/**
 * A value shown only once (a token's secret, an invitation link): what to do with it, the value
 * ready to select, a copy button and "Done" to dismiss it.
 */
export function ShownOnce({
  testId,
  value,
  onDone,
  children,
}: {
  testId: string;
  value: string;
  onDone: () => void;
  /** The instruction above the value. */
  children: ReactNode;
}) {
  // Remembers which value was copied, so a new value starts as not copied.
  const [copiedValue, setCopiedValue] = useState<string | null>(null);

  async function copy() {
    try {
      await navigator.clipboard.writeText(value);
      setCopiedValue(value);
    } catch {
      setCopiedValue(null);
    }
  }

  return (
    <Alert
      tone="warning"
      testId={testId}
      action={
        <Button size="sm" variant="ghost" onClick={onDone}>
          Done
        </Button>
      }
    >
      <p className="font-medium">{children}</p>
      <div className="mt-2 flex items-center gap-2">
        <code className="rounded border border-amber-200 bg-white px-2 py-1 font-mono text-xs break-all select-all">
          {value}
        </code>
        <Button size="sm" onClick={() => void copy()}>
          {copiedValue === value ? "Copied" : "Copy"}
        </Button>
      </div>
    </Alert>
  );
}
