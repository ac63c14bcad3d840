import type { ReactNode } from "react";

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
