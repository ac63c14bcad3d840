import type { Metadata } from "next";
import { TrustPage } from "@/components/trust/trust-page";

export const metadata: Metadata = { title: "Trust" };

export default function Trust() {
  return <TrustPage />;
}
