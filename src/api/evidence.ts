import { Hono } from "hono";
import type { ApiDeps } from "./deps.ts";

// The box's certificate (docs/evidence.md#the-boxs-identity): what its signatures are checked against.

export function evidenceRoutes({ identity }: Pick<ApiDeps, "identity">) {
  return new Hono().get("/certificate", async (c) => {
    const box = await identity();
    const der = c.req.query("format") === "der";
    return new Response(der ? Buffer.from(box.certificateDer) : box.certificatePem, {
      headers: {
        "content-type": der ? "application/pkix-cert" : "application/x-pem-file",
        "content-disposition": `attachment; filename="camkeep-certificate.${der ? "der" : "pem"}"`,
        "x-certificate-sha256": box.fingerprint,
      },
    });
  });
}
