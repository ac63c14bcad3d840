"use client";

import { useQueryClient } from "@tanstack/react-query";
import { signOut } from "next-auth/react";
import Link from "next/link";
import { useRouter } from "next/navigation";
import { useState } from "react";
import { clearSelectedWorkspace } from "@/lib/trpc/client";
import { Alert } from "@/components/ui/alert";
import { Button, buttonClass } from "@/components/ui/button";

export function SignOutConfirm() {
  const router = useRouter();
  const queryClient = useQueryClient();
  const [pending, setPending] = useState(false);
  const [error, setError] = useState<string | null>(null);
  async function onConfirm() {
    setPending(true);
    setError(null);
    try {
      await signOut({ redirect: false });
      clearSelectedWorkspace();
      // Nothing the signed-out user fetched may be shown to whoever signs in next.
      queryClient.clear();
      router.replace("/sign-in");
      router.refresh();
    } catch {
      setError("Signing out failed. Try again.");
      setPending(false);
    }
  }
  return (
    <div className="space-y-4">
      {error && <Alert tone="error">{error}</Alert>}
      <div className="flex gap-2">
        <Button variant="primary" className="flex-1" pending={pending} onClick={onConfirm}>
          {pending ? "Signing out…" : "Sign out"}
        </Button>
        <Link href="/workflows" className={`${buttonClass("secondary")} flex-1`}>
          Cancel
        </Link>
      </div>
    </div>
  );
}
