"use client";

import { signIn } from "next-auth/react";
import { useRouter } from "next/navigation";
import { useState, type FormEvent } from "react";
import { clearSelectedWorkspace } from "@/lib/trpc/client";
import { Alert } from "@/components/ui/alert";
import { Button } from "@/components/ui/button";
import { TextField } from "@/components/ui/field";

/** next-auth reports some failures by code rather than by message. */
function describe(error: string): string {
  if (error === "CredentialsSignin") return "Wrong email or password.";
  if (error === "SessionRequired") return "Sign in to continue.";
  if (/^[A-Z][A-Za-z]+$/.test(error)) return "Sign-in failed. Try again.";
  return error;
}

export function SignInForm({
  callbackUrl,
  initialError,
}: {
  callbackUrl: string;
  initialError?: string;
}) {
  const router = useRouter();
  const [email, setEmail] = useState("");
  const [password, setPassword] = useState("");
  const [error, setError] = useState<string | null>(initialError ? describe(initialError) : null);
  const [pending, setPending] = useState(false);

  async function onSubmit(e: FormEvent) {
    e.preventDefault();
    setPending(true);
    setError(null);
    try {
      const res = await signIn("credentials", { redirect: false, email, password });
      if (!res || res.error || !res.ok) {
        setError(describe(res?.error ?? "Sign-in failed. Try again."));
        setPending(false);
        return;
      }
      // Another account may have used this browser: start from this user's default workspace.
      clearSelectedWorkspace();
      router.replace(callbackUrl);
      router.refresh();
    } catch {
      setError("Sign-in is unavailable right now. Try again shortly.");
      setPending(false);
    }
  }

  return (
    <form onSubmit={onSubmit} className="space-y-4" noValidate>
      {error && <Alert tone="error">{error}</Alert>}
      <TextField
        label="Email"
        type="email"
        name="email"
        autoComplete="email"
        required
        value={email}
        onChange={(e) => setEmail(e.target.value)}
      />
      <TextField
        label="Password"
        type="password"
        name="password"
        autoComplete="current-password"
        required
        value={password}
        onChange={(e) => setPassword(e.target.value)}
      />
      <Button type="submit" variant="primary" className="w-full" pending={pending}>
        {pending ? "Signing in…" : "Sign in"}
      </Button>
    </form>
  );
}
