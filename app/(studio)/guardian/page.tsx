import type { Metadata } from "next";
import { GuardianPage } from "@/components/guardian/guardian-page";

export const metadata: Metadata = { title: "Guardian" };

export default function Guardian() {
  return <GuardianPage />;
}
