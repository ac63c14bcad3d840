/**
 * The guardian's proposals that need the router's configuration (issue 18, item 3), in the
 * background: per turn, the fallback model rule for agent groups (it needs the configured models,
 * which the consumer does not hold), then model-written proposals for groups the rules could not
 * fix, in workspaces whose admin chose a guardian model (`model-proposals.ts`).
 */
import { startBackgroundLoop, type BackgroundLoop } from "../background-loop";
import { writeModelProposals, type ModelDeps } from "./model-proposals";
import { writeProposals } from "./write-proposals";

/** Agent groups looked at per turn for the fallback model rule. */
const AGENT_GROUPS_PER_TURN = 20;
/** A group's rule proposals are written right after its grouping: wait this long. */
const SETTLE_MS = 5_000;

/**
 * Writes the fallback model rule's proposals for open agent groups of a model failure whose
 * failing version has none yet; the number written.
 *
 * @example
 * await writeFallbackProposals(deps); // 1
 */
export async function writeFallbackProposals(
  deps: ModelDeps,
  opts: { now?: number } = {},
): Promise<number> {
  const now = opts.now ?? Date.now();
  const groups = await deps.db.guardianGroup.findMany({
    where: {
      status: "open",
      class: "resilience",
      blockId: { startsWith: "agent." },
      workflowId: { not: null },
      failingVersion: { not: null },
      updatedAt: { lt: new Date(now - SETTLE_MS) },
    },
    orderBy: { lastSeenAt: "desc" },
    take: AGENT_GROUPS_PER_TURN,
    include: {
      proposals: { where: { rule: "fallback-model" }, select: { baseIrHash: true }, take: 20 },
    },
  });
  const need = groups.filter((g) => !g.proposals.some((p) => p.baseIrHash === g.failingIrHash));
  if (!need.length) return 0;
  return writeProposals(
    deps.db,
    need.map((g) => g.id),
    {
      fallbackModels: (blockId) => deps.guardianModel.capableOf(blockId),
      only: ["fallback-model"],
    },
  );
}

/** Starts the background loop: the fallback rule, then model proposals, then a pause. */
export function startModelProposalLoop(
  deps: ModelDeps,
  logger: { error(obj: object, msg: string): void },
): BackgroundLoop {
  return startBackgroundLoop(async () => {
    try {
      await writeFallbackProposals(deps);
      const done = await writeModelProposals(deps);
      return done.length ? 1_000 : 10_000;
    } catch (err) {
      logger.error({ err: String(err) }, "guardian model proposals failed");
      return 60_000;
    }
  });
}
