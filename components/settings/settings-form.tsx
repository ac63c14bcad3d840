import type { ReactNode } from "react";
import { Alert } from "@/components/ui/alert";
import { Button } from "@/components/ui/button";

type Layout = "two-fields" | "field-and-select";

/** Grid columns: two controls, then the submit button. Full class names, so Tailwind sees them. */
const layouts: Record<Layout, string> = {
  "two-fields": "grid-cols-[1fr_1fr_auto]",
  "field-and-select": "grid-cols-[1fr_10rem_auto]",
};

/**
 * A settings form on one line: two controls and the submit button, then optional full-width rows
 * (`below`), the server's error and a success notice. Submitting never reloads the page.
 */
export function SettingsForm({
  label,
  layout = "two-fields",
  submitLabel,
  pending,
  onSubmit,
  error,
  notice,
  below,
  children,
}: {
  /** Accessible name of the form. */
  label: string;
  layout?: Layout;
  submitLabel: string;
  pending: boolean;
  onSubmit: () => void;
  /** The form-level error (field errors belong to the fields). */
  error?: string | null;
  notice?: string | null;
  /** Full-width rows between the controls and the messages (checkboxes, a fieldset). */
  below?: ReactNode;
  /** The two controls. */
  children: ReactNode;
}) {
  return (
    <form
      onSubmit={(e) => {
        e.preventDefault();
        onSubmit();
      }}
      aria-label={label}
      className={`grid ${layouts[layout]} items-start gap-3 rounded-lg border border-zinc-200 bg-white p-3`}
      noValidate
    >
      {children}
      <Button type="submit" variant="primary" className="mt-5" pending={pending}>
        {submitLabel}
      </Button>
      {below}
      {error && (
        <Alert tone="error" className="col-span-3">
          {error}
        </Alert>
      )}
      {notice && (
        <Alert tone="success" className="col-span-3">
          {notice}
        </Alert>
      )}
    </form>
  );
}
