/**
 * The built-in block library. Every definition is plain data; `BlockRegistry.withPrimitives()`
 * validates and indexes it. `LIBRARY.md` lists every block.
 */
import type { BlockDefinition } from "../../types";
import { agentBlocks } from "./agent";
import { codeBlocks } from "./code";
import { billingBlocks } from "./connectors-billing";
import { clmBlocks } from "./connectors-clm";
import { crmBlocks } from "./connectors-crm";
import { controlBlocks } from "./control";
import { dataBlocks } from "./data";
import { httpBlocks } from "./http";
import { humanBlocks } from "./human";
import { policyBlocks } from "./policy";
import { triggerBlocks } from "./trigger";

/** Every built-in block definition, all versions. */
export const primitiveBlocks: BlockDefinition[] = [
  ...triggerBlocks,
  ...crmBlocks,
  ...billingBlocks,
  ...clmBlocks,
  ...httpBlocks,
  ...controlBlocks,
  ...agentBlocks,
  ...policyBlocks,
  ...dataBlocks,
  ...codeBlocks,
  ...humanBlocks,
];
