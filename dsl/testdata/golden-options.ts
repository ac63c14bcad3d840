/**
 * Golden files may start with `# golden-options: {json}` to compile with extra blocks, extra
 * policy documents, enforced policies, a trust severity or a workspace directory. Shared by the golden and fuzz tests.
 */
import { policyLibrary } from "../policies/library";
import { BlockRegistry } from "../registry/registry";
import type { BlockDefinition, PolicyDocument } from "../types";
import type { CompileOptions } from "../validate";

interface GoldenOptions {
  extraBlocks?: BlockDefinition[];
  extraPolicies?: PolicyDocument[];
  enforcedPolicies?: string[];
  trustSeverity?: "warning" | "error";
  directory?: { groups: string[]; users: string[] };
}

const defaultRegistry = BlockRegistry.withPrimitives();

/** The compile options a golden file asks for. */
export function goldenOptions(text: string): CompileOptions {
  const m = /^# golden-options: (.*)$/m.exec(text);
  const o: GoldenOptions = m ? (JSON.parse(m[1]!) as GoldenOptions) : {};
  const options: CompileOptions = {
    registry: o.extraBlocks ? BlockRegistry.withPrimitives(o.extraBlocks) : defaultRegistry,
    policies: [...policyLibrary, ...(o.extraPolicies ?? [])],
  };
  if (o.enforcedPolicies) options.enforcedPolicies = o.enforcedPolicies;
  if (o.trustSeverity) options.trustSeverity = o.trustSeverity;
  if (o.directory) options.directory = o.directory;
  return options;
}
