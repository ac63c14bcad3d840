import { createElement } from "react";
import { renderToStaticMarkup } from "react-dom/server";
import { describe, expect, it } from "vitest";
import { ApiReference, type ApiDocument } from "@/components/developers/api-reference";
import { restApiDocument } from "./document";
import { ROUTES } from "./routes";

describe("the REST API reference page", () => {
  const html = renderToStaticMarkup(
    createElement(ApiReference, { doc: restApiDocument() as unknown as ApiDocument }),
  );

  it("renders every operation with its method, path, role, scope and an example curl", () => {
    for (const r of ROUTES) {
      const at = html.indexOf(`id="op-${r.operationId.toLowerCase()}"`);
      expect(at, r.operationId).toBeGreaterThan(-1);
      const section = html.slice(at, html.indexOf("</section>", at));
      const has = (s: string | RegExp) =>
        expect(
          typeof s === "string" ? section.includes(s) : s.test(section),
          `${r.operationId}: ${s}`,
        ).toBe(true);
      has(`>${r.method.toLowerCase()}</span>`);
      has(`>${r.path}</code>`);
      has(new RegExp(`role: (<!-- -->)?${r.role}<`));
      has(new RegExp(`scope: (<!-- -->)?${r.scope}<`));
      has(`curl -X ${r.method} &quot;$TRUSTFLOW_URL/api/v1${r.path}&quot;`);
      if (r.body) has("Request body");
    }
  });

  it("groups operations by tag and documents the problem types", () => {
    const has = (s: string) => expect(html.includes(s), s).toBe(true);
    for (const tag of new Set(ROUTES.map((r) => r.tag))) has(`>${tag}</h2>`);
    has('id="problem-conflict"');
    has("application/problem+json");
    // An example body is built from the schema: the replay's required mode.
    has("-d &#x27;{&quot;mode&quot;:&quot;resume&quot;}&#x27;");
  });
});
