import type { Metadata } from "next";
import Link from "next/link";
import { getServerSession } from "next-auth";
import { AuthCard } from "@/components/auth/auth-card";
import { SignOutConfirm } from "@/components/auth/sign-out-confirm";
import { authOptions } from "@/server/auth/options";

export const metadata: Metadata = { title: "Sign out" };

export default async function SignOutPage() {
  const session = await getServerSession(authOptions);
  if (!session) {
    return (
      <AuthCard title="You are signed out">
        <Link href="/sign-in" className="text-sm font-medium text-accent-700 hover:underline">
          Sign in again
        </Link>
      </AuthCard>
    );
  }
  return (
    <AuthCard
      title="Sign out?"
      subtitle={`You are signed in as ${session.user?.email ?? "an unknown user"}.`}
    >
      <SignOutConfirm />
    </AuthCard>
  );
}
