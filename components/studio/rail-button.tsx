/** A button of a folded panel's rail: vertical text, the panel's name. */
export function RailButton({
  label,
  onClick,
  children,
}: {
  label: string;
  onClick: () => void;
  children: React.ReactNode;
}) {
  return (
    <button
      type="button"
      onClick={onClick}
      aria-label={label}
      title={label}
      className="w-full px-1 py-2 text-xs text-zinc-600 [writing-mode:vertical-rl] hover:bg-zinc-100 hover:text-zinc-900"
    >
      {children}
    </button>
  );
}
