#!/usr/bin/env node
// The `trustflow` CLI entry (package.json "bin"). The compiler is TypeScript: register tsx's ESM
// loader, then import the real CLI. Kept tiny so that everything testable lives in main.ts.
import { register } from "tsx/esm/api";

register();
const { main } = await import("./main.ts");
process.exitCode = await main(process.argv.slice(2));
