"use client";

import { useMutation, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { useTRPC } from "@/lib/trpc/client";
import { errorMessage } from "@/lib/trpc/errors";
import { Alert } from "@/components/ui/alert";
import { Button } from "@/components/ui/button";
import { Dialog } from "@/components/ui/dialog";
import { TextField } from "@/components/ui/field";

/** Asks to confirm cancelling a run, with an optional reason; refreshes the run and the list. */
export function CancelRunDialog({
  runId,
  open,
  onClose,
}: {
  runId: string;
  open: boolean;
  onClose: () => void;
}) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const [reason, setReason] = useState("");
  const cancel = useMutation(
    trpc.run.cancel.mutationOptions({
      onSuccess: async () => {
        onClose();
        await Promise.all([
          queryClient.invalidateQueries({ queryKey: trpc.run.get.queryKey({ id: runId }) }),
          queryClient.invalidateQueries(trpc.run.list.pathFilter()),
        ]);
      },
    }),
  );

  return (
    <Dialog
      open={open}
      onClose={onClose}
      title="Cancel this run?"
      description="Steps that are running finish their current call; nothing new starts."
    >
      <form
        className="space-y-3"
        onSubmit={(e) => {
          e.preventDefault();
          cancel.mutate({ id: runId, reason: reason.trim() || undefined });
        }}
      >
        <TextField
          label="Reason (optional)"
          value={reason}
          maxLength={500}
          onChange={(e) => setReason(e.target.value)}
        />
        {cancel.error && <Alert tone="error">{errorMessage(cancel.error)}</Alert>}
        <div className="flex justify-end gap-2">
          <Button variant="ghost" onClick={onClose}>
            Keep running
          </Button>
          <Button type="submit" variant="danger" pending={cancel.isPending}>
            Cancel run
          </Button>
        </div>
      </form>
    </Dialog>
  );
}
