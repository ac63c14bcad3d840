import type { Metadata } from "next";
import { DeadLettersPage } from "@/components/dead-letters/dead-letters-page";

export const metadata: Metadata = { title: "Dead letters" };

export default function DeadLetters() {
  return <DeadLettersPage />;
}
