import { createPrivateKey, createPublicKey, X509Certificate } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import { hostname, networkInterfaces } from "node:os";
import type { Config } from "../config/load.ts";
import { makeSelfSigned } from "../evidence/self-signed.ts";
import { logger } from "../log/log.ts";

// HTTPS (docs/security.md#https): the operator's certificate and key, or a self-signed pair made
// at first start for every name and address the box answers as.

const log = logger("api");

export interface ServerTls {
  cert: string;
  key: string;
  /** SHA-256 of the certificate, as browsers and openssl show it ("AB:CD:…"). */
  fingerprint: string;
  selfSigned: boolean;
}

/** The API's certificate and key, made first when self-signed and missing; undefined for plain HTTP. */
export async function serverTls(config: Pick<Config, "api">): Promise<ServerTls | undefined> {
  const tls = config.api.tls;
  if (!tls) return undefined;
  const { certFile, keyFile, selfSigned } = tls;
  if (selfSigned && !existsSync(certFile) && !existsSync(keyFile)) {
    await makeSelfSigned({
      certFile,
      keyFile,
      name: hostname(),
      years: 10,
      use: "server",
      hosts: { dns: [...new Set([hostname(), "localhost", ...config.api.allowedHosts])], ips: addresses() },
    });
    log.info(`made a self-signed HTTPS certificate (${certFile})`);
  }
  let cert: X509Certificate;
  let key: string;
  try {
    cert = new X509Certificate(readFileSync(certFile));
    key = readFileSync(keyFile, "utf8");
  } catch (e) {
    throw new Error(`api.tls: cannot read ${certFile} or ${keyFile}: ${(e as Error).message}`);
  }
  const spki = (k: ReturnType<typeof createPublicKey>) => k.export({ type: "spki", format: "der" });
  let matches = false;
  try {
    matches = spki(createPublicKey(createPrivateKey(key))).equals(spki(cert.publicKey));
  } catch (e) {
    throw new Error(`api.tls: ${keyFile} is not a private key: ${(e as Error).message}`);
  }
  if (!matches) throw new Error(`api.tls: the certificate ${certFile} is not for the key ${keyFile}`);
  log.info(
    `HTTPS certificate SHA-256 ${cert.fingerprint256}${selfSigned ? " (self-signed: compare it when a browser asks)" : ""}`,
  );
  return { cert: cert.toString(), key, fingerprint: cert.fingerprint256, selfSigned };
}

/** This machine's IP addresses, loopback included: a self-signed certificate names them all. */
function addresses(): string[] {
  const all = Object.values(networkInterfaces()).flatMap((list) => (list ?? []).map((a) => a.address));
  return [...new Set(["127.0.0.1", "::1", ...all.map((a) => a.replace(/%.*$/, ""))])];
}
