import "reflect-metadata"; // @peculiar/x509's dependency injection needs it, before it loads
import * as x509 from "@peculiar/x509";
import { createPrivateKey, createPublicKey, type KeyObject, webcrypto, X509Certificate } from "node:crypto";
import { chmodSync, existsSync, readFileSync } from "node:fs";
import { hostname } from "node:os";
import { dirname } from "node:path";
import type { Config } from "../config/load.ts";
import { logger } from "../log/log.ts";
import { mkdirDurable, writeFileDurable } from "../storage/durable.ts";

// The box's identity (docs/evidence.md#the-boxs-identity): the key that signs its exports (and,
// later, its seals) and the certificate that names it. Made at first start, or the operator's own.
//
// node:crypto makes keys but cannot make a certificate; @peculiar/x509 (maintained, WebCrypto
// based, no native code) builds the self-signed one. An operator who wants one issued by their
// CA gives evidence.key_file and evidence.cert_file instead.

const log = logger("evidence");
x509.cryptoProvider.set(webcrypto as unknown as Crypto);

/** A signing key and its certificate; the private key never leaves this object but to sign. */
export interface BoxIdentity {
  key: KeyObject;
  publicKey: KeyObject;
  certificatePem: string;
  certificateDer: Uint8Array;
  /** SHA-256 of the certificate (DER), as openssl prints it: "AB:CD:…". */
  fingerprint: string;
  subject: string;
  /** Bytes of every signature this key makes (its modulus length). */
  signatureLength: number;
}

/** The box's identity, as asked for: the first ask of a box without one makes it. */
export type IdentitySource = () => Promise<BoxIdentity>;

/**
 * The box's identity. Key files that exist (or the operator's own) are read and checked now, so
 * a wrong one stops the start with its name; a box without one makes it the first time one is
 * needed (a signed export, the certificate asked for), not at every start of a test keeper.
 */
export function identitySource(config: Pick<Config, "evidence">): IdentitySource {
  const { keyFile, certFile, own } = config.evidence;
  let loaded: Promise<BoxIdentity> | undefined;
  if (own || existsSync(keyFile) || existsSync(certFile)) {
    checkPair(keyFile, certFile, own);
    loaded = Promise.resolve(readIdentity(keyFile, certFile));
  }
  return () => {
    loaded ??= loadIdentity(config).catch((e) => {
      loaded = undefined; // asked again next time
      throw e;
    });
    return loaded;
  };
}

/** Loads the box's key and certificate, making both if neither exists (never when the operator gives their own). */
async function loadIdentity(config: Pick<Config, "evidence">): Promise<BoxIdentity> {
  const { keyFile, certFile, own } = config.evidence;
  if (!existsSync(keyFile) && !existsSync(certFile) && !own) await makeIdentity(keyFile, certFile);
  checkPair(keyFile, certFile, own);
  return readIdentity(keyFile, certFile);
}

/** Both files of the pair are there; one alone is never replaced (a new key would disown the old exports). */
function checkPair(keyFile: string, certFile: string, own: boolean): void {
  const haveKey = existsSync(keyFile);
  const haveCert = existsSync(certFile);
  if (haveKey && haveCert) return;
  throw new Error(
    `evidence: ${haveKey ? `the certificate ${certFile}` : `the key ${keyFile}`} is missing${own || !(haveKey || haveCert) ? "" : ` (its ${haveKey ? "key" : "certificate"} is there: restore the pair from a backup, or move both away to make a new identity)`}`,
  );
}

function readIdentity(keyFile: string, certFile: string): BoxIdentity {
  let key: KeyObject;
  let cert: X509Certificate;
  try {
    key = createPrivateKey(readFileSync(keyFile));
  } catch (e) {
    throw new Error(`evidence: cannot read the signing key ${keyFile}: ${(e as Error).message}`);
  }
  try {
    cert = new X509Certificate(readFileSync(certFile));
  } catch (e) {
    throw new Error(`evidence: cannot read the certificate ${certFile}: ${(e as Error).message}`);
  }
  if (key.asymmetricKeyType !== "rsa")
    throw new Error(
      `evidence: the key ${keyFile} is ${key.asymmetricKeyType}; signed exports (ONVIF Export File Format) need RSA`,
    );
  const spki = (k: KeyObject) => k.export({ type: "spki", format: "der" });
  if (!spki(createPublicKey(key)).equals(spki(cert.publicKey)))
    throw new Error(`evidence: the certificate ${certFile} is not for the key ${keyFile}`);
  const der = new Uint8Array(cert.raw);
  return {
    key,
    publicKey: cert.publicKey,
    certificatePem: cert.toString(),
    certificateDer: der,
    fingerprint: cert.fingerprint256,
    subject: cert.subject.replace(/\n/g, ", "),
    signatureLength: (key.asymmetricKeyDetails?.modulusLength ?? 2048) / 8,
  };
}

/** A new RSA-2048 key (mode 0600) and a self-signed certificate naming this box, valid 30 years. */
async function makeIdentity(keyFile: string, certFile: string): Promise<void> {
  const algorithm = {
    name: "RSASSA-PKCS1-v1_5",
    hash: "SHA-256",
    publicExponent: new Uint8Array([1, 0, 1]),
    modulusLength: 2048,
  };
  const keys = await webcrypto.subtle.generateKey(algorithm, true, ["sign", "verify"]);
  const now = new Date();
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: Buffer.from(
      webcrypto.getRandomValues(new Uint8Array(16)).map((b, i) => (i ? b : b & 0x7f)),
    ).toString("hex"),
    name: `CN=camkeep on ${hostname().replace(/[,+"\\<>;=]/g, "-")}, O=camkeep`,
    notBefore: now,
    notAfter: new Date(now.getTime() + 30 * 365.25 * 86_400_000),
    signingAlgorithm: algorithm,
    keys: keys as unknown as CryptoKeyPair,
    extensions: [
      new x509.BasicConstraintsExtension(false, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
    ],
  });
  const pkcs8 = Buffer.from(await webcrypto.subtle.exportKey("pkcs8", keys.privateKey));
  const pem = `-----BEGIN PRIVATE KEY-----\n${pkcs8.toString("base64").replace(/.{64}/g, "$&\n").replace(/\n?$/, "\n")}-----END PRIVATE KEY-----\n`;
  mkdirDurable(dirname(keyFile));
  chmodSync(dirname(keyFile), 0o700);
  writeFileDurable(keyFile, pem, 0o600);
  mkdirDurable(dirname(certFile));
  writeFileDurable(certFile, cert.toString("pem"), 0o644);
  log.info(`made this box's signing key (${keyFile}) and its certificate (${certFile})`);
}
