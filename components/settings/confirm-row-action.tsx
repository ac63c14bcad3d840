import { Button } from "@/components/ui/button";

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
