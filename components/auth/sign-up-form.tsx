"use client";

import { useMutation } from "@tanstack/react-query";
import { signIn } from "next-auth/react";
import { useRouter } from "next/navigation";
import { useState, type FormEvent } from "react";
import { clearSelectedWorkspace, useTRPC } from "@/lib/trpc/client";
import { formErrors } from "@/lib/trpc/errors";
import { Alert } from "@/components/ui/alert";
import { Button } from "@/components/ui/button";
import { TextField } from "@/components/ui/field";

export function SignUpForm({ callbackUrl = "/workflows" }: { callbackUrl?: string }) {
  const trpc = useTRPC();
  const router = useRouter();
  const [values, setValues] = useState({ name: "", email: "", password: "", workspaceName: "" });
  const [signInError, setSignInError] = useState<string | null>(null);
  const [signingIn, setSigningIn] = useState(false);
  const signUp = useMutation(trpc.auth.signUp.mutationOptions());
  const errors = formErrors(signUp.error);
  /** The props that bind a text field to `values[k]` and its server-side errors. */
  const field = (k: keyof typeof values) => ({
    name: k,
    value: values[k],
    onChange: (e: { target: { value: string } }) =>
      setValues((v) => ({ ...v, [k]: e.target.value })),
    errors: errors.fields[k],
  });

  async function onSubmit(e: FormEvent) {
    e.preventDefault();
    setSignInError(null);
    const workspaceName = values.workspaceName.trim();
    try {
      await signUp.mutateAsync({
        name: values.name,
        email: values.email,
        password: values.password,
        ...(workspaceName ? { workspaceName } : {}),
      });
    } catch {
      return; // shown field by field from signUp.error
    }
    setSigningIn(true);
    const res = await signIn("credentials", {
      redirect: false,
      email: values.email,
      password: values.password,
    });
    if (!res?.ok || res.error) {
      // The sign-up answer never says whether the email already had an account (no enumeration):
      // when it had, this password is not its password and signing in fails here.
      setSigningIn(false);
      setSignInError(
        `Signing in with this email and password did not work (${res?.error ?? "unknown error"}). If this email already had an account, sign in with its password.`,
      );
      return;
    }
    clearSelectedWorkspace();
    router.replace(callbackUrl);
    router.refresh();
  }

  const pending = signUp.isPending || signingIn;
  return (
    <form onSubmit={onSubmit} className="space-y-4" noValidate>
      {errors.message && <Alert tone="error">{errors.message}</Alert>}
      {signInError && <Alert tone="error">{signInError}</Alert>}
      <TextField label="Name" autoComplete="name" required {...field("name")} />
      <TextField label="Email" type="email" autoComplete="email" required {...field("email")} />
      <TextField
        label="Password"
        type="password"
        autoComplete="new-password"
        required
        minLength={12}
        hint="At least 12 characters, hard to guess: a passphrase of several unrelated words works well."
        {...field("password")}
      />
      <TextField
        label="Workspace name (optional)"
        placeholder="Defaults to “<your name>'s workspace”"
        {...field("workspaceName")}
      />
      <Button type="submit" variant="primary" className="w-full" pending={pending}>
        {pending ? "Creating your account…" : "Create account"}
      </Button>
    </form>
  );
}
