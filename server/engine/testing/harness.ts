/**
 * Test harness: an engine on the memory store with a fake clock, sequential ids and seeded
 * randomness, a DSL registry with a few test-only blocks, and helpers to compile and drain.
 */
import { compile, BlockRegistry } from "@/dsl";
import type { FlowIR, BlockDefinition } from "@/dsl";
import { Engine, registryLookup, type EngineOptions } from "../engine";
import { MemoryRunStore } from "../memory-store";
import type { AuditSink, RunAuditEntry, RunStore } from "../ports";
import { builtinRuntimes, type MapRuntimeRegistry } from "../runtimes/registry";
import { FakeClock, SeededRandom, SeqIds, settle } from "./fakes";

const open = { type: "object", additionalProperties: true } as const;

function testBlock(
  id: string,
  sideEffect: BlockDefinition["sideEffect"],
  extra: Partial<BlockDefinition> = {},
): BlockDefinition {
  return {
    id,
    version: "1.0.0",
    kind: "connector",
    title: id,
    docs: `Test block ${id}.`,
    inputSchema: open,
    outputSchema: open,
    sideEffect,
    baselineTrust: 0.99,
    system: "test",
    example: {},
    ...extra,
  };
}

/** Test-only blocks: `test.write` (undone by `test.undo`), `test.read`, `test.plain` (no runtime). */
export const TEST_BLOCKS: BlockDefinition[] = [
  testBlock("test.undo", "write"),
  testBlock("test.write", "write", { compensation: "test.undo@1" }),
  testBlock("test.read", "read"),
  testBlock("test.plain", "write"),
  testBlock("test.agent", "none", { kind: "agent", system: "llm" }),
];

/** The registry of primitives plus {@link TEST_BLOCKS}. */
export const testRegistry = BlockRegistry.withPrimitives(TEST_BLOCKS);

/** Compiles flow text with the test registry; throws with the diagnostics when it fails. */
export function compileFlow(text: string): FlowIR {
  const r = compile(text, { registry: testRegistry });
  if (!r.ok || !r.ir)
    throw new Error(
      `flow does not compile:\n${r.diagnostics.map((d) => `${d.code} ${d.message}`).join("\n")}`,
    );
  return r.ir;
}

/** An audit sink that keeps entries in memory. */
export class MemoryAudit implements AuditSink {
  entries: Array<RunAuditEntry & { runId: string }> = [];
  async record(run: { id: string }, entry: RunAuditEntry): Promise<void> {
    this.entries.push({ ...entry, runId: run.id });
  }
}

/** An engine wired for tests, plus its fakes. */
export interface Harness {
  engine: Engine;
  store: MemoryRunStore;
  clock: FakeClock;
  runtimes: MapRuntimeRegistry;
  audit: MemoryAudit;
  /** Another engine (worker) on the same store and clock. */
  worker(id: string, overrides?: Partial<EngineOptions>): Engine;
  /** Starts a run of `ir`. */
  start(ir: FlowIR, inputs?: Record<string, unknown>): Promise<string>;
  /** Ticks until no run is due now; returns the number of advances. */
  drain(engine?: Engine, max?: number): Promise<number>;
}

/** Builds a {@link Harness}. */
export function harness(overrides: Partial<EngineOptions> & { store?: RunStore } = {}): Harness {
  const store = (overrides.store as MemoryRunStore | undefined) ?? new MemoryRunStore();
  const clock = new FakeClock();
  const ids = new SeqIds();
  const runtimes = builtinRuntimes();
  const audit = new MemoryAudit();
  const make = (workerId: string, o: Partial<EngineOptions> = {}) =>
    new Engine({
      store,
      clock,
      ids,
      random: new SeededRandom(7),
      runtimes,
      audit,
      blocks: registryLookup(testRegistry),
      workerId,
      ...overrides,
      ...o,
    });
  const engine = make("worker-1");
  const h: Harness = {
    engine,
    store,
    clock,
    runtimes,
    audit,
    worker: make,
    async start(ir, inputs = {}) {
      const run = await engine.createRun({
        workspaceId: "00000000-0000-4000-8000-00000000beef",
        workflowId: null,
        version: null,
        ir,
        inputs,
        startedBy: "tester@example.com",
      });
      return run.id;
    },
    async drain(e = engine, max = 100) {
      let n = 0;
      for (;;) {
        const done = await e.tick({ limit: 50 });
        await settle(1);
        if (done.length === 0 || ++n >= max) return n;
      }
    },
  };
  return h;
}
