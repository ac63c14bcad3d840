import { handleDemoModel } from "@/server/adapters/llm/demo-model/handler";

// The models the built-in demo model endpoint serves (`trustflow-demo`), as OpenAI lists them.
export const dynamic = "force-dynamic";

async function handle(request: Request): Promise<Response> {
  return handleDemoModel(request, "models");
}

export { handle as GET, handle as POST, handle as PUT, handle as PATCH, handle as DELETE };
