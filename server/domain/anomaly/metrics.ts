/** Entity kinds the detector watches (as the trust fold names them). */
export const ENTITY_KINDS = ["flow", "block", "endpoint", "model"] as const;
export type EntityKind = (typeof ENTITY_KINDS)[number];
