"use client";

import { CompareView } from "@/components/studio/compare-view";
import { studioRegistry } from "@/lib/studio/registry";

/**
 * A fix's text and graph beside the version it patches, with the studio's block registry. Loaded
 * when a reviewer asks for the comparison (`proposal-review.tsx`): the Guardian page does not
 * ship the flow parser and the canvas until then.
 */
export function ProposalCompare(props: {
  before: { label: string; text: string };
  after: { label: string; text: string };
  onClose: () => void;
}) {
  return <CompareView {...props} registry={studioRegistry()} />;
}
