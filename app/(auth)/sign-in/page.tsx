import type { Metadata } from "next";
import Link from "next/link";
import { redirect } from "next/navigation";
import { getServerSession } from "next-auth";
import { SignInForm } from "@/components/auth/sign-in-form";
import { AuthCard } from "@/components/auth/auth-card";
import { safeCallbackPath } from "@/lib/safe-redirect";
import { authOptions } from "@/server/auth/options";

export const metadata: Metadata = { title: "Sign in" };

export default async function SignInPage({
  searchParams,
}: {
  searchParams: Promise<Record<string, string | string[] | undefined>>;
}) {
  const params = await searchParams;
  const callbackUrl = safeCallbackPath(params.callbackUrl);
  if (await getServerSession(authOptions)) redirect(callbackUrl);
  const error = typeof params.error === "string" ? params.error : undefined;
  return (
    <AuthCard
      title="Sign in to Trustflow"
      subtitle="Compose, govern and audit your automation."
      footer={
        <>
          No account yet?{" "}
          <Link href="/sign-up" className="font-medium text-accent-700 hover:underline">
            Create one
          </Link>
        </>
      }
    >
      <SignInForm callbackUrl={callbackUrl} initialError={error} />
    </AuthCard>
  );
}
