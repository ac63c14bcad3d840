/**
 * The training worker thread's module (a piscina worker, see `train-pool.ts`): one training's
 * computation per task, plain data in and out.
 */
import { trainOnHistory, type TrainingInput, type TrainingOutput } from "./train-work";

export default function train(input: TrainingInput): TrainingOutput {
  return trainOnHistory(input);
}
