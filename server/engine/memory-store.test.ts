import { randomUUID } from "node:crypto";
import { MemoryRunStore } from "./memory-store";
import { defineStoreContract } from "./store-contract";

defineStoreContract("memory", async () => ({
  store: new MemoryRunStore(),
  workspaceId: randomUUID(),
  otherWorkspaceId: randomUUID(),
  uuid: randomUUID,
}));
