import page from "../ui/index.html";
import { createApi } from "./app.ts";
import type { ApiDeps } from "./deps.ts";

/**
 * Serves the page (bundled by Bun from src/ui, inside the compiled binary too) and the API on
 * config.api.listen (port 0: any free port, for tests).
 */
export function serveApi(deps: ApiDeps) {
  const app = createApi(deps);
  return Bun.serve({
    hostname: deps.config.api.host,
    port: deps.config.api.port,
    routes: { "/": page },
    fetch: app.fetch,
    development: false,
    idleTimeout: 120, // exports of long ranges stream for a while
  });
}
