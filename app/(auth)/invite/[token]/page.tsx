import type { Metadata } from "next";
import Link from "next/link";
import { getServerSession } from "next-auth";
import { AcceptInvitation } from "@/components/auth/accept-invitation";
import { AuthCard } from "@/components/auth/auth-card";
import { authOptions } from "@/server/auth/options";

export const metadata: Metadata = { title: "Invitation", referrer: "no-referrer" };

/**
 * `/invite/<token>`: the link an admin passes on. Signed out, it asks to sign in (or sign up)
 * with the invited email and comes back here; signed in, it shows the offer and accepts it.
 */
export default async function InvitationPage({ params }: { params: Promise<{ token: string }> }) {
  const { token } = await params;
  const session = await getServerSession(authOptions);
  const back = encodeURIComponent(`/invite/${encodeURIComponent(token)}`);
  if (!session?.user) {
    return (
      <AuthCard
        title="You are invited to a Trustflow workspace"
        subtitle="Sign in with the email the invitation was sent to, or create an account with it, to see and accept the invitation."
      >
        <div className="flex gap-2 text-sm">
          <Link
            href={`/sign-in?callbackUrl=${back}`}
            className="font-medium text-accent-700 hover:underline"
          >
            Sign in
          </Link>
          <span className="text-zinc-400">or</span>
          <Link
            href={`/sign-up?callbackUrl=${back}`}
            className="font-medium text-accent-700 hover:underline"
          >
            create an account
          </Link>
        </div>
      </AuthCard>
    );
  }
  return (
    <AuthCard title="Workspace invitation">
      <AcceptInvitation token={token} signedInAs={session.user.email ?? ""} />
    </AuthCard>
  );
}
