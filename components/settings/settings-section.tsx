import type { ReactNode } from "react";
import { Button } from "@/components/ui/button";

/** A settings section: a heading (labelling the section), a short description, its content. */
export function SettingsSection({
  id,
  title,
  description,
  children,
}: {
  /** Id of the heading (`aria-labelledby` of the section). */
  id: string;
  title: string;
  description: ReactNode;
  children: ReactNode;
}) {
  return (
    <section aria-labelledby={id} className="space-y-3">
      <div>
        <h2 id={id} className="text-sm font-semibold">
          {title}
        </h2>
        <p className="text-sm text-zinc-600">{description}</p>
      </div>
      {children}
    </section>
  );
}

/** A table row's destructive action: runs `onConfirm` once the person confirms `confirm`. */
export function ConfirmRowAction({
  label,
  ariaLabel,
  confirm,
  pending,
  onConfirm,
}: {
  label: string;
  ariaLabel: string;
  confirm: string;
  pending: boolean;
  onConfirm: () => void;
}) {
  return (
    <Button
      size="sm"
      variant="ghost"
      className="text-red-700 hover:bg-red-50"
      aria-label={ariaLabel}
      pending={pending}
      onClick={() => {
        if (window.confirm(confirm)) onConfirm();
      }}
    >
      {label}
    </Button>
  );
}
