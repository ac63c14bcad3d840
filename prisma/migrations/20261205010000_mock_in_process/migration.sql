-- Egress guard (issue 11): the built-in mock services are reached in-process (`mock://<system>`),
-- never over loopback. Connectors that pointed at this app's mock route for their own workspace
-- (`<origin>/api/mock/<system>/t/<workspaceId>`, as the demo seed and the "Use this app's mock"
-- link wrote them) now name the in-process service; the tenant stays the workspace. A connector
-- pointing at another tenant's mock path is left as it is (the guard refuses loopback for it).
UPDATE "Connector"
SET "baseUrl" = 'mock://' || substring("baseUrl" from '/api/mock/(crm|billing|clm)/t/'),
    "updatedAt" = CURRENT_TIMESTAMP
WHERE "baseUrl" ~ ('^https?://[^/]+/api/mock/(crm|billing|clm)/t/' || "workspaceId"::text || '/*$');

-- The same for OAuth2 token URLs on the mock (`…/api/mock/<system>/t/<workspaceId>/oauth/token`).
UPDATE "Connector"
SET "authConfig" = jsonb_set(
      "authConfig",
      '{tokenUrl}',
      to_jsonb('mock://' || substring("authConfig"->>'tokenUrl' from '/api/mock/(crm|billing|clm)/t/') || '/oauth/token')
    ),
    "updatedAt" = CURRENT_TIMESTAMP
WHERE "authConfig"->>'tokenUrl' ~ ('^https?://[^/]+/api/mock/(crm|billing|clm)/t/' || "workspaceId"::text || '/oauth/token$');
