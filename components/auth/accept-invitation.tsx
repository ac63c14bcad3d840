"use client";

import { useMutation, useQuery } from "@tanstack/react-query";
import Link from "next/link";
import { useRouter } from "next/navigation";
import { useTRPC, useWorkspaceSelection } from "@/lib/trpc/client";
import { errorMessage } from "@/lib/trpc/errors";
import { Alert } from "@/components/ui/alert";
import { Button } from "@/components/ui/button";

/** Shows what an invitation link offers and accepts it for the signed-in user. */
export function AcceptInvitation({ token, signedInAs }: { token: string; signedInAs: string }) {
  const trpc = useTRPC();
  const router = useRouter();
  const { select } = useWorkspaceSelection();
  const preview = useQuery(trpc.workspace.invitation.queryOptions({ token }));
  const accept = useMutation(
    trpc.workspace.acceptInvitation.mutationOptions({
      onSuccess: (res) => {
        select(res.workspaceId);
        router.replace("/workflows");
        router.refresh();
      },
    }),
  );

  if (preview.isPending) return <p className="text-sm text-zinc-500">Loading the invitation…</p>;
  if (preview.error) return <Alert tone="error">{errorMessage(preview.error)}</Alert>;
  const inv = preview.data;
  const forMe = inv.email === signedInAs.toLowerCase();
  return (
    <div className="space-y-4 text-sm">
      <p>
        You are invited to <strong>{inv.workspaceName}</strong> as <strong>{inv.role}</strong>. The
        invitation is for <strong>{inv.email}</strong>.
      </p>
      {inv.state !== "pending" ? (
        <Alert tone="error">
          {inv.state === "accepted"
            ? "This invitation was already used."
            : inv.state === "revoked"
              ? "This invitation was revoked. Ask the workspace admin for a new link."
              : "This invitation has expired. Ask the workspace admin for a new link."}
        </Alert>
      ) : !forMe ? (
        <Alert tone="warning">
          You are signed in as {signedInAs}.{" "}
          <Link href="/sign-out" className="font-medium underline">
            Sign out
          </Link>{" "}
          and sign in with {inv.email} to accept it.
        </Alert>
      ) : (
        <>
          {accept.error && <Alert tone="error">{errorMessage(accept.error)}</Alert>}
          <Button
            variant="primary"
            className="w-full"
            pending={accept.isPending}
            onClick={() => accept.mutate({ token })}
          >
            Join {inv.workspaceName}
          </Button>
        </>
      )}
    </div>
  );
}
