"use client";

import { useMutation, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { useTRPC } from "@/lib/trpc/client";
import { formErrors } from "@/lib/trpc/errors";
import { Alert } from "@/components/ui/alert";
import { Button } from "@/components/ui/button";
import { Dialog } from "@/components/ui/dialog";
import { TextField } from "@/components/ui/field";

const REASON_NEEDED = "Say why they are discarded (at least 3 characters).";

/** "Discard…": the selected open dead letters, with a required reason (kept in the ledger). */
export function DiscardDialog({
  ids,
  onClose,
  onDiscarded,
}: {
  ids: string[] | null;
  onClose: () => void;
  onDiscarded: () => void;
}) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const [reason, setReason] = useState("");
  const [tried, setTried] = useState(false);
  const discard = useMutation(
    trpc.deadLetter.discard.mutationOptions({
      onSuccess: async () => {
        close();
        onDiscarded();
        await queryClient.invalidateQueries(trpc.deadLetter.list.pathFilter());
      },
    }),
  );
  function close() {
    setReason("");
    setTried(false);
    discard.reset();
    onClose();
  }
  const server = formErrors(discard.error);
  const missing = reason.trim().length < 3;
  const n = ids?.length ?? 0;

  return (
    <Dialog
      open={ids !== null}
      onClose={close}
      title={`Discard ${n} dead letter${n === 1 ? "" : "s"}?`}
      description="They are not reprocessed; the reason is kept with them and in the ledger."
    >
      <form
        className="space-y-3"
        aria-label="Discard"
        noValidate
        onSubmit={(e) => {
          e.preventDefault();
          setTried(true);
          if (!ids || missing) return;
          discard.mutate({ ids, reason: reason.trim() });
        }}
      >
        <TextField
          label="Reason"
          required
          maxLength={2000}
          value={reason}
          errors={tried && missing ? [REASON_NEEDED] : server.fields.reason}
          onChange={(e) => setReason(e.target.value)}
        />
        {(server.message || server.fields.ids) && (
          <Alert tone="error">{server.message ?? server.fields.ids?.join(" ")}</Alert>
        )}
        <div className="flex justify-end gap-2">
          <Button variant="ghost" onClick={close}>
            Keep them
          </Button>
          <Button type="submit" variant="danger" pending={discard.isPending}>
            Discard
          </Button>
        </div>
      </form>
    </Dialog>
  );
}
