import type { Metadata } from "next";
import { ApiTokensPanel } from "@/components/settings/api-tokens-panel";
import { MembersPanel } from "@/components/settings/members-panel";
import { PageHeader } from "@/components/ui/page-header";

export const metadata: Metadata = { title: "Settings" };

export default function SettingsPage() {
  return (
    <>
      <PageHeader
        title="Settings"
        description="Who works in this workspace, and how machines call it."
      />
      <div className="space-y-10">
        <MembersPanel />
        <ApiTokensPanel />
      </div>
    </>
  );
}
