import "reflect-metadata"; // @peculiar/x509's dependency injection needs it, before it loads
import * as x509 from "@peculiar/x509";
import { webcrypto } from "node:crypto";
import { chmodSync } from "node:fs";
import { dirname } from "node:path";
import { mkdirDurable, writeFileDurable } from "../storage/durable.ts";

// A key and a self-signed certificate for it, written as PEM files: the box's signing identity
// (identity.ts) and its HTTPS certificate (api/tls.ts). node:crypto makes keys but cannot make a
// certificate; @peculiar/x509 (maintained, WebCrypto based, no native code) builds it.

x509.cryptoProvider.set(webcrypto as unknown as Crypto);

export interface SelfSignedRequest {
  keyFile: string;
  certFile: string;
  /** The subject's common name. */
  name: string;
  years: number;
  /** What the key is for: signing documents, or serving HTTPS (then `hosts` name the server). */
  use: "signing" | "server";
  /** DNS names and IP addresses the server answers as (use "server"). */
  hosts?: { dns: string[]; ips: string[] };
}

/** Makes an RSA-2048 key (mode 0600, its folder 0700) and a self-signed certificate for it. */
export async function makeSelfSigned(r: SelfSignedRequest): Promise<void> {
  const algorithm = {
    name: "RSASSA-PKCS1-v1_5",
    hash: "SHA-256",
    publicExponent: new Uint8Array([1, 0, 1]),
    modulusLength: 2048,
  };
  const keys = await webcrypto.subtle.generateKey(algorithm, true, ["sign", "verify"]);
  const now = new Date();
  const { KeyUsageFlags: K } = x509;
  const extensions: x509.Extension[] = [new x509.BasicConstraintsExtension(false, undefined, true)];
  if (r.use === "signing") extensions.push(new x509.KeyUsagesExtension(K.digitalSignature, true));
  else {
    extensions.push(new x509.KeyUsagesExtension(K.digitalSignature | K.keyEncipherment, true));
    extensions.push(new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth]));
    extensions.push(
      new x509.SubjectAlternativeNameExtension([
        ...(r.hosts?.dns ?? []).map((value) => ({ type: "dns" as const, value })),
        ...(r.hosts?.ips ?? []).map((value) => ({ type: "ip" as const, value })),
      ]),
    );
  }
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: Buffer.from(
      webcrypto.getRandomValues(new Uint8Array(16)).map((b, i) => (i ? b : b & 0x7f)),
    ).toString("hex"),
    name: `CN=${r.name.replace(/[,+"\\<>;=]/g, "-")}, O=camkeep`,
    notBefore: now,
    notAfter: new Date(now.getTime() + r.years * 365.25 * 86_400_000),
    signingAlgorithm: algorithm,
    keys: keys as unknown as CryptoKeyPair,
    extensions,
  });
  const pkcs8 = Buffer.from(await webcrypto.subtle.exportKey("pkcs8", keys.privateKey));
  const pem = `-----BEGIN PRIVATE KEY-----\n${pkcs8.toString("base64").replace(/.{64}/g, "$&\n").replace(/\n?$/, "\n")}-----END PRIVATE KEY-----\n`;
  mkdirDurable(dirname(r.keyFile));
  chmodSync(dirname(r.keyFile), 0o700);
  writeFileDurable(r.keyFile, pem, 0o600);
  mkdirDurable(dirname(r.certFile));
  writeFileDurable(r.certFile, cert.toString("pem"), 0o644);
}
