"use client";

import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { signOut } from "next-auth/react";
import { useRouter } from "next/navigation";
import { useState, type FormEvent } from "react";
import { formatDateTime } from "@/lib/format";
import { clearSelectedWorkspace, useTRPC } from "@/lib/trpc/client";
import { errorMessage, formErrors } from "@/lib/trpc/errors";
import { Alert } from "@/components/ui/alert";
import { Button } from "@/components/ui/button";
import { TextField } from "@/components/ui/field";
import { Table, Td, Th } from "@/components/ui/table";
import { ConfirmRowAction, SettingsSection } from "@/components/settings/settings-section";

/**
 * The signed-in user's own security: change the password (ends every session, this one too) and
 * see or end the browser sessions that are still alive.
 */
export function AccountSecurityPanel() {
  const trpc = useTRPC();
  const router = useRouter();
  const queryClient = useQueryClient();
  const sessions = useQuery(trpc.auth.sessions.queryOptions());
  const [current, setCurrent] = useState("");
  const [next, setNext] = useState("");

  /** This browser's session has ended on the server: drop the cookie and go to sign-in. */
  async function leave() {
    await signOut({ redirect: false });
    clearSelectedWorkspace();
    queryClient.clear();
    router.replace("/sign-in");
    router.refresh();
  }

  const change = useMutation(trpc.auth.changePassword.mutationOptions({ onSuccess: leave }));
  const everywhere = useMutation(trpc.auth.signOutEverywhere.mutationOptions({ onSuccess: leave }));
  const revoke = useMutation(
    trpc.auth.revokeSession.mutationOptions({
      onSuccess: () => queryClient.invalidateQueries(trpc.auth.sessions.pathFilter()),
    }),
  );
  const errors = formErrors(change.error);

  function onChange(e: FormEvent) {
    e.preventDefault();
    change.mutate({ currentPassword: current, newPassword: next });
  }

  return (
    <SettingsSection
      id="account-security-heading"
      title="Your password and sessions"
      description="Changing the password signs you out everywhere, this browser included."
    >
      <form
        onSubmit={onChange}
        aria-label="Change your password"
        className="grid grid-cols-[1fr_1fr_auto] items-start gap-3 rounded-lg border border-zinc-200 bg-white p-3"
        noValidate
      >
        <TextField
          label="Current password"
          type="password"
          autoComplete="current-password"
          value={current}
          onChange={(e) => setCurrent(e.target.value)}
          errors={errors.fields.currentPassword}
        />
        <TextField
          label="New password"
          type="password"
          autoComplete="new-password"
          value={next}
          onChange={(e) => setNext(e.target.value)}
          errors={errors.fields.newPassword}
          hint="At least 12 characters, hard to guess."
        />
        <Button type="submit" variant="primary" className="mt-5" pending={change.isPending}>
          Change password
        </Button>
        {errors.message && (
          <Alert tone="error" className="col-span-3">
            {errors.message}
          </Alert>
        )}
      </form>

      {(revoke.error ?? everywhere.error) && (
        <Alert tone="error">{errorMessage(revoke.error ?? everywhere.error)}</Alert>
      )}
      {sessions.isPending ? (
        <p className="text-sm text-zinc-500">Loading sessions…</p>
      ) : sessions.error ? (
        <Alert tone="error">{errorMessage(sessions.error)}</Alert>
      ) : (
        <Table label="Your sessions">
          <thead>
            <tr>
              <Th>Browser</Th>
              <Th className="w-36">Address</Th>
              <Th className="w-40">Last active</Th>
              <Th className="w-24">
                <span className="sr-only">Actions</span>
              </Th>
            </tr>
          </thead>
          <tbody>
            {sessions.data.map((s) => (
              <tr key={s.id}>
                <Td className="max-w-xs truncate text-zinc-600" title={s.userAgent}>
                  {s.current ? "This browser" : s.userAgent || "unknown"}
                </Td>
                <Td className="text-zinc-600">{s.address}</Td>
                <Td className="whitespace-nowrap text-zinc-600">{formatDateTime(s.lastSeenAt)}</Td>
                <Td className="text-right">
                  {!s.current && (
                    <ConfirmRowAction
                      label="End"
                      ariaLabel={`End the session from ${s.address}`}
                      confirm="End this session? That browser will have to sign in again."
                      pending={revoke.isPending && revoke.variables?.sessionId === s.id}
                      onConfirm={() => revoke.mutate({ sessionId: s.id })}
                    />
                  )}
                </Td>
              </tr>
            ))}
          </tbody>
        </Table>
      )}
      <div>
        <Button
          variant="secondary"
          pending={everywhere.isPending}
          onClick={() => {
            if (window.confirm("Sign out of every browser, this one included?"))
              everywhere.mutate();
          }}
        >
          Sign out everywhere
        </Button>
      </div>
    </SettingsSection>
  );
}
