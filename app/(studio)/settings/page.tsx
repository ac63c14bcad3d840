import type { Metadata } from "next";
import { AccountSecurityPanel } from "@/components/auth/account-security-panel";
import { ApiTokensPanel } from "@/components/settings/api-tokens-panel";
import { EgressPanel } from "@/components/settings/egress-panel";
import { GroupsPanel } from "@/components/settings/groups-panel";
import { MembersPanel } from "@/components/settings/members-panel";
import { ModelsPanel } from "@/components/settings/models-panel";
import { NotificationWebhooksPanel } from "@/components/settings/notification-webhooks";
import { SecretsPanel } from "@/components/settings/secrets-panel";
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
        <GroupsPanel />
        <ApiTokensPanel />
        <SecretsPanel />
        <EgressPanel />
        <NotificationWebhooksPanel />
        <ModelsPanel />
        <AccountSecurityPanel />
      </div>
    </>
  );
}
