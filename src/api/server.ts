import { getRequestListener } from "@hono/node-server";
import { createServer } from "node:http";
import { createServer as createHttpsServer } from "node:https";
import type { ServerTls } from "./tls.ts";
import type { AddressInfo } from "node:net";
import { createApi } from "./app.ts";
import type { ApiDeps } from "./deps.ts";
import { allowedHosts } from "./guards.ts";

/** The API's listener, started: its port (api.listen's, or the one given for port 0), and its end. */
export interface ApiServer {
  port: number;
  /** Where plain HTTP is redirected to HTTPS (api.http_redirect), if it is. */
  redirectPort?: number;
  /** Every route the API answers (method and path pattern): what the access tests walk. */
  routes: { method: string; path: string }[];
  /** Stops listening and ends every connection, exports under way too. */
  stop(): Promise<void>;
}

/**
 * Serves the page (`page`: the bundle Bun makes of src/ui, inside the compiled binary too) and the
 * API on config.api.listen (port 0: any free port, for tests).
 *
 * The API is served through node:http (with Hono's adapter), not Bun.serve: Bun.serve drops the
 * Content-Length of every streamed body and sends it chunked (oven-sh/bun#10507), and an export's
 * download must show its size. Only Bun.serve serves an HTML bundle, so the bundle is served by a
 * private Bun.serve on loopback, and the page's files are read from it once and answered through
 * Hono, with the security headers and the Host check of every other answer.
 */
export async function serveApi(deps: ApiDeps, page: Bun.HTMLBundle, tls?: ServerTls): Promise<ApiServer> {
  const { host, port } = deps.config.api;
  const bundle = Bun.serve({
    hostname: "127.0.0.1",
    port: 0,
    routes: { "/": page },
    fetch: () => new Response(null, { status: 404 }),
    development: false,
  });
  const files = new Map<string, Promise<Response | undefined>>();
  const pageFile = async (path: string): Promise<Response | undefined> => {
    let file = files.get(path);
    if (!file) {
      file = fetch(new URL(path, bundle.url)).then(async (r) => {
        if (r.status === 404) return undefined;
        if (!r.ok) throw new Error(`the page's bundle answered ${r.status} for ${path}`);
        return new Response(await r.arrayBuffer(), {
          headers: { "content-type": r.headers.get("content-type")! },
        });
      });
      files.set(path, file);
      // Only what exists is kept (a made-up name asked for costs no memory); a failure is asked again.
      file.then(
        (r) => r ?? files.delete(path),
        () => files.delete(path),
      );
    }
    return (await file)?.clone();
  };
  // (overrideGlobalObjects false: the adapter would swap the global Request and Response for
  // lighter ones, which Bun.serve — the bundle's, the tests' fixtures — refuses as answers)
  const api = createApi(deps, pageFile);
  const listener = getRequestListener(api.fetch, { overrideGlobalObjects: false });
  // HTTPS when api.tls says so (docs/security.md#https): the same listener, over TLS.
  const server = tls ? createHttpsServer({ cert: tls.cert, key: tls.key }, listener) : createServer(listener);
  try {
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(port, host, () => {
        server.off("error", reject);
        resolve();
      });
    });
  } catch (e) {
    bundle.stop(true);
    throw new Error(`cannot listen on ${host}:${port} (api.listen): ${(e as Error).message}`);
  }
  const tlsPort = (server.address() as AddressInfo).port;
  const redirect =
    tls &&
    deps.config.api.httpRedirect &&
    (await redirectToHttps(deps, tlsPort).catch(async (e) => {
      server.close();
      await bundle.stop(true);
      throw e;
    }));
  return {
    port: tlsPort,
    redirectPort: redirect ? (redirect.address() as AddressInfo).port : undefined,
    routes: api.routes.filter((r) => r.method !== "ALL").map(({ method, path }) => ({ method, path })),
    async stop() {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeAllConnections();
      await closed;
      if (redirect) await new Promise<void>((resolve) => redirect.close(() => resolve()));
      await bundle.stop(true);
    },
  };
}

/**
 * With api.tls and api.http_redirect (docs/security.md#https): plain HTTP on that address gets a
 * permanent redirect to the same path over HTTPS on the API's port — for the names the API answers
 * to only (never a redirect to a name it does not know).
 */
async function redirectToHttps(deps: ApiDeps, tlsPort: number) {
  const { host, port } = deps.config.api.httpRedirect!;
  const allowed = allowedHosts(deps.config.api.host, deps.config.api.allowedHosts);
  const server = createServer((req, res) => {
    const name = (req.headers.host ?? "").replace(/:\d+$/, "");
    if (!name || !allowed(name)) {
      res.writeHead(403, { "content-type": "text/plain" }).end("not a name camkeep answers to\n");
      return;
    }
    res.writeHead(308, { location: `https://${name}:${tlsPort}${req.url ?? "/"}` }).end();
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", (e) =>
      reject(new Error(`cannot listen on ${host}:${port} (api.http_redirect): ${e.message}`)),
    );
    server.listen(port, host, () => resolve());
  });
  return server;
}
