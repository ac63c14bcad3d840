import type { Metadata } from "next";
import { BlockRegistry, type RegistryBlock } from "@/components/registry/block-registry";
import { PageHeader } from "@/components/ui/page-header";
import { primitiveBlocks } from "@/dsl";

export const metadata: Metadata = { title: "Registry" };

export default function RegistryPage() {
  // Only the fields the page shows cross to the component (schemas and examples stay here).
  const blocks: RegistryBlock[] = primitiveBlocks.map((b) => ({
    id: b.id,
    version: b.version,
    kind: b.kind,
    title: b.title,
    docs: b.docs,
    sideEffect: b.sideEffect,
    baselineTrust: b.baselineTrust,
    system: b.system,
    deprecated: b.deprecated,
  }));
  return (
    <>
      <PageHeader
        title="Registry"
        description="The built-in blocks a flow can use, pinned by major version: uses: id@major."
      />
      <BlockRegistry blocks={blocks} />
    </>
  );
}
