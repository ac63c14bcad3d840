/**
 * The training worker thread's module (a piscina worker, see `train-pool.ts`): one training's
 * computation per task, its history handed over packed (`history-pack.ts`), the model handed
 * back as plain data.
 */
import { unpackHistory, type PackedHistory } from "./history-pack";
import { trainOnHistory, type TrainingInput, type TrainingOutput } from "./train-work";

/** What the pool sends the thread: a training's input with its history packed. */
export type ThreadTask = Omit<TrainingInput, "runs" | "attempts"> & { history: PackedHistory };

export default function train({ history, ...rest }: ThreadTask): TrainingOutput {
  return trainOnHistory({ ...rest, ...unpackHistory(history) });
}
