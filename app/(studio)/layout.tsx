import { redirect } from "next/navigation";
import { getServerSession } from "next-auth";
import type { ReactNode } from "react";
import { StudioShell } from "@/components/shell/studio-shell";
import { authOptions } from "@/server/auth/options";

// The session is read per request: never prerender a signed-in page.
export const dynamic = "force-dynamic";

export default async function StudioLayout({ children }: { children: ReactNode }) {
  const session = await getServerSession(authOptions);
  if (!session?.user) redirect("/sign-in");
  const user = { name: session.user.name ?? "", email: session.user.email ?? "" };
  return <StudioShell user={user}>{children}</StudioShell>;
}
