import { createPrivateKey, createPublicKey, type KeyObject, X509Certificate } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import { hostname } from "node:os";
import type { Config } from "../config/load.ts";
import { logger } from "../log/log.ts";
import { makeSelfSigned } from "./self-signed.ts";

// The box's identity (docs/evidence.md#the-boxs-identity): the key that signs its exports and its
// seals, and the certificate that names it. Made at first need (self-signed.ts), or the operator's
// own: an operator who wants one issued by their CA gives evidence.key_file and evidence.cert_file.

const log = logger("evidence");

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
  await makeSelfSigned({ keyFile, certFile, name: `camkeep on ${hostname()}`, years: 30, use: "signing" });
  log.info(`made this box's signing key (${keyFile}) and its certificate (${certFile})`);
}
