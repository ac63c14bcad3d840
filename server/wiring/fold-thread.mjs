// The fold thread's entry (started by fold-in-thread.ts): a plain module that loads the
// TypeScript one through tsx's API (a worker thread does not take `--import tsx` from its
// execArgv on Node 20, and tsx's hooks must be in place before a .ts module is resolved).
import { tsImport } from "tsx/esm/api";

await tsImport("./fold-thread.ts", import.meta.url);
