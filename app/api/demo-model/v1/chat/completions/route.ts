import { handleDemoModel } from "@/server/adapters/llm/demo-model/handler";

// The built-in demo model (no AI) over HTTP, OpenAI-compatible: `POST` a chat completion, plain
// or streamed (server/adapters/llm/demo-model/). Stateless and bounded (1 MiB bodies); agent
// steps reach the same handler in-process at demo-model://trustflow/v1, not through this route.
export const dynamic = "force-dynamic";

async function handle(request: Request): Promise<Response> {
  return handleDemoModel(request, "chat/completions");
}

export { handle as GET, handle as POST, handle as PUT, handle as PATCH, handle as DELETE };
