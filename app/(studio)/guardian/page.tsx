import type { Metadata } from "next";
import { GuardianPage } from "@/components/guardian/guardian-page";

export const metadata: Metadata = { title: "Guardian" };

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** `?group=<id>` (a notification's or the inbox's link) opens that group. */
export default async function Guardian({
  searchParams,
}: {
  searchParams: Promise<Record<string, string | string[] | undefined>>;
}) {
  const { group } = await searchParams;
  return (
    <GuardianPage initialGroup={typeof group === "string" && UUID.test(group) ? group : null} />
  );
}
