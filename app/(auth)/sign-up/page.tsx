import type { Metadata } from "next";
import Link from "next/link";
import { redirect } from "next/navigation";
import { getServerSession } from "next-auth";
import { AuthCard } from "@/components/auth/auth-card";
import { SignUpForm } from "@/components/auth/sign-up-form";
import { authOptions } from "@/server/auth/options";

export const metadata: Metadata = { title: "Create an account" };

export default async function SignUpPage() {
  if (await getServerSession(authOptions)) redirect("/workflows");
  return (
    <AuthCard
      title="Create your account"
      subtitle="You get a workspace of your own, as its admin."
      footer={
        <>
          Already have an account?{" "}
          <Link href="/sign-in" className="font-medium text-accent-700 hover:underline">
            Sign in
          </Link>
        </>
      }
    >
      <SignUpForm />
    </AuthCard>
  );
}
