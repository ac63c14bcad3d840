/**
 * Every kind of subject an audit entry can be about, with the name the studio shows. Each
 * `appendAudit` call names one of these as its `subjectType` (subjects.test.ts checks the sources),
 * so the audit filter offers every type that can occur.
 */
export const AUDIT_SUBJECT_TYPES = [
  { type: "workflow", label: "Workflow" },
  { type: "run", label: "Run" },
  { type: "connector", label: "Connector" },
  { type: "workspace", label: "Workspace" },
  { type: "membership", label: "Member" },
  { type: "invitation", label: "Invitation" },
  { type: "group", label: "Group" },
  { type: "user", label: "User" },
  { type: "api-token", label: "API token" },
  { type: "secret", label: "Secret" },
  { type: "egress_allow", label: "Egress rule" },
  { type: "flow", label: "Agent memory" },
  { type: "approval", label: "Approval" },
  { type: "webhook", label: "Webhook endpoint" },
  { type: "dead-letter", label: "Dead letter" },
  { type: "reprocess-job", label: "Reprocess job" },
  { type: "sandbox_session", label: "Sandbox session" },
  { type: "eval_suite", label: "Evaluation suite" },
  { type: "dataset", label: "Dataset" },
  { type: "scripted_model", label: "Scripted model" },
  { type: "guardian_group", label: "Guardian group" },
  { type: "guardian_proposal", label: "Guardian fix proposal" },
  { type: "prediction_model", label: "Failure model" },
  { type: "anomaly", label: "Anomaly" },
  { type: "alert_rule", label: "Alert rule" },
  { type: "alert", label: "Alert" },
] as const;

export type AuditSubjectType = (typeof AUDIT_SUBJECT_TYPES)[number]["type"];
