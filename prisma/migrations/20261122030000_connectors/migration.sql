-- Connectors: a workspace's endpoints of a system (crm, billing, clm, or an imported OpenAPI
-- document) and their credentials, encrypted with AES-256-GCM (server/adapters/connectors/credentials.ts).

CREATE TABLE "Connector" (
    "id" UUID NOT NULL DEFAULT gen_random_uuid(),
    "workspaceId" UUID NOT NULL,
    "name" TEXT NOT NULL,
    "system" TEXT NOT NULL,
    "baseUrl" TEXT NOT NULL,
    "authScheme" TEXT NOT NULL DEFAULT 'none',
    "authConfig" JSONB NOT NULL DEFAULT '{}',
    "openapi" TEXT,
    "createdAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT "Connector_pkey" PRIMARY KEY ("id"),
    CONSTRAINT "Connector_authScheme_check" CHECK ("authScheme" IN ('none', 'api_key', 'bearer', 'basic', 'oauth2_client_credentials'))
);
CREATE UNIQUE INDEX "Connector_workspaceId_name_key" ON "Connector"("workspaceId", "name");
CREATE INDEX "Connector_workspaceId_system_idx" ON "Connector"("workspaceId", "system");
ALTER TABLE "Connector" ADD CONSTRAINT "Connector_workspaceId_fkey"
    FOREIGN KEY ("workspaceId") REFERENCES "Workspace"("id") ON DELETE CASCADE ON UPDATE CASCADE;

CREATE TABLE "Credential" (
    "id" UUID NOT NULL DEFAULT gen_random_uuid(),
    "workspaceId" UUID NOT NULL,
    "connectorId" UUID NOT NULL,
    "ciphertext" TEXT NOT NULL,
    "iv" TEXT NOT NULL,
    "tag" TEXT NOT NULL,
    "keyId" TEXT NOT NULL,
    "hint" TEXT NOT NULL DEFAULT '',
    "updatedAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT "Credential_pkey" PRIMARY KEY ("id")
);
CREATE UNIQUE INDEX "Credential_connectorId_key" ON "Credential"("connectorId");
CREATE INDEX "Credential_workspaceId_idx" ON "Credential"("workspaceId");
CREATE INDEX "Credential_keyId_idx" ON "Credential"("keyId");
ALTER TABLE "Credential" ADD CONSTRAINT "Credential_workspaceId_fkey"
    FOREIGN KEY ("workspaceId") REFERENCES "Workspace"("id") ON DELETE CASCADE ON UPDATE CASCADE;
ALTER TABLE "Credential" ADD CONSTRAINT "Credential_connectorId_fkey"
    FOREIGN KEY ("connectorId") REFERENCES "Connector"("id") ON DELETE CASCADE ON UPDATE CASCADE;
