/**
 * Anomaly detection (issue 17 item 3): the public surface other domains read. See
 * `README.md` in this folder for the metrics, the rules, the thresholds and the feedback rule.
 */
export { openAnomalies, OPEN_MS, type OpenAnomaly } from "./open";
export type { EntityKind } from "./metrics";
