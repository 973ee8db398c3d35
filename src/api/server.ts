import page from "../ui/index.html";
import { createApi } from "./app.ts";
import type { ApiDeps } from "./deps.ts";

/**
 * Serves the page (bundled by Bun from src/ui, inside the compiled binary too) and the API on
 * config.api.listen (port 0: any free port, for tests).
 */
export function serveApi(deps: ApiDeps) {
  const app = createApi(deps);
  const { host, port } = deps.config.api;
  try {
    return Bun.serve({
      hostname: host,
      port,
      routes: { "/": page },
      fetch: app.fetch,
      development: false,
      idleTimeout: 120, // exports of long ranges stream for a while
    });
  } catch (e) {
    throw new Error(`cannot listen on ${host}:${port} (api.listen): ${(e as Error).message}`);
  }
}
