/** Trigger runtimes: no-op pass-through of what started the run (its trigger payload). */
import type { BlockRuntime } from "../ports";
import { asObject } from "./support";

/** `trigger.manual`, `trigger.webhook`, `trigger.schedule`: echo the run's trigger facts. */
export const triggerRuntime: BlockRuntime = {
  pure: true,
  execute({ block, run, inputs }) {
    const trigger = asObject(run.inputs.trigger);
    switch (block.id) {
      case "trigger.webhook":
        return {
          event: String(trigger.event ?? inputs.event ?? ""),
          deliveryId: String(trigger.deliveryId ?? ""),
          payload: asObject(trigger.payload ?? run.inputs),
          receivedAt: String(trigger.receivedAt ?? ""),
        };
      case "trigger.schedule":
        return {
          firedAt: String(trigger.firedAt ?? ""),
          scheduledFor: String(trigger.scheduledFor ?? ""),
        };
      default:
        return { startedBy: run.startedBy ?? "", startedAt: String(trigger.startedAt ?? "") };
    }
  },
};
