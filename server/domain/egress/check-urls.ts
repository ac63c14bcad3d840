/**
 * Save-time checks of the URLs a connector will call (base URL, OAuth2 token URL): no
 * credentials inside, and no literal address the egress guard would refuse, given the
 * workspace's allow-list. Host names are checked again at run time on what they resolve to.
 */
import { EgressError } from "./errors";
import { checkConfiguredUrl } from "./policy";
import { AppError } from "../errors";
import type { Db, Tx } from "../types";

/** Checks each given URL; throws INVALID_INPUT naming the field. `mock://` URLs pass. */
export async function checkConnectorUrls(
  db: Db | Tx,
  workspaceId: string,
  urls: Partial<Record<"baseUrl" | "tokenUrl", string | undefined>>,
): Promise<void> {
  const entries = Object.entries(urls).filter(
    (e): e is [string, string] => typeof e[1] === "string" && !e[1].startsWith("mock://"),
  );
  if (entries.length === 0) return;
  const rules = await db.egressAllow.findMany({
    where: { workspaceId },
    select: { host: true, allowHttp: true, allowPrivate: true },
  });
  for (const [field, url] of entries) {
    try {
      checkConfiguredUrl(url, rules);
    } catch (err) {
      if (!(err instanceof EgressError)) throw err;
      const what = field === "baseUrl" ? "base URL" : "token URL";
      throw new AppError("INVALID_INPUT", {
        message: `The ${what} is refused: ${err.message}`,
        details: { field },
      });
    }
  }
}
