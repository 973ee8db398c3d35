import { createApi } from "./app.ts";
import type { ApiDeps } from "./deps.ts";

/**
 * Serves the page (`page`: the bundle Bun makes of src/ui, inside the compiled binary too) and the API on
 * config.api.listen (port 0: any free port, for tests).
 *
 * Bun serves an HTML bundle without letting us add headers, so the bundle lives under a path
 * made at random each start, and "/" fetches it from there once and answers it through Hono,
 * with the security headers and the Host check of every other answer. Its scripts and styles
 * are still served by Bun, from their own paths.
 */
export function serveApi(deps: ApiDeps, page: Bun.HTMLBundle) {
  const { host, port } = deps.config.api;
  const hidden = `/page-${Buffer.from(crypto.getRandomValues(new Uint8Array(12))).toString("hex")}`;
  let server: ReturnType<typeof Bun.serve> | undefined;
  let html: Promise<{ body: ArrayBuffer; type: string }> | undefined;
  const app = createApi(deps, async () => {
    html ??= fetch(new URL(hidden, server!.url)).then(async (r) => {
      if (!r.ok) throw new Error(`the page's bundle answered ${r.status}`);
      return {
        body: await r.arrayBuffer(),
        type: r.headers.get("content-type") ?? "text/html;charset=utf-8",
      };
    });
    const { body, type } = await html.catch((e) => {
      html = undefined; // asked again next time
      throw e;
    });
    return new Response(body, { headers: { "content-type": type } });
  });
  try {
    server = Bun.serve({
      hostname: host,
      port,
      routes: { [hidden]: page },
      fetch: app.fetch,
      development: false,
      reusePort: false, // a second keeper on the port is refused, never given half the requests
      idleTimeout: 120, // exports of long ranges stream for a while
    });
    return server;
  } catch (e) {
    throw new Error(`cannot listen on ${host}:${port} (api.listen): ${(e as Error).message}`);
  }
}
