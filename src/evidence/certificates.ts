import { type KeyObject, X509Certificate } from "node:crypto";
import { metaWithPrefix, setMeta } from "../db/meta.ts";
import type { Db } from "../db/open.ts";
import type { BoxIdentity } from "./identity.ts";

// The certificates a box knows seals by (docs/archive.md#restore): its own, and those of the
// boxes whose archive it was restored from (their seals stay theirs: a new box cannot sign as
// the stolen one). Kept in meta as `certificate:<SHA-256>` → PEM.

const PREFIX = "certificate:";

/** A known certificate's public key, by its SHA-256 ("AB:CD:…"), or undefined. */
export type KeyFor = (fingerprint: string) => KeyObject | undefined;

/** The certificates restored from archives, as [SHA-256, PEM]. */
export function restoredCertificates(db: Db): { sha256: string; pem: string }[] {
  return metaWithPrefix(db, PREFIX).map(([key, pem]) => ({ sha256: key.slice(PREFIX.length), pem }));
}

/**
 * Keeps a certificate an archive names, after checking that its PEM is one and that its SHA-256
 * is the one the archive gives it; returns why not, or undefined.
 */
export function rememberCertificate(db: Db, sha256: string, pem: string): string | undefined {
  let cert: X509Certificate;
  try {
    cert = new X509Certificate(pem);
  } catch (e) {
    return `a certificate that cannot be read (${(e as Error).message})`;
  }
  if (cert.fingerprint256 !== sha256)
    return `a certificate named ${sha256} whose SHA-256 is ${cert.fingerprint256}`;
  setMeta(db, PREFIX + sha256, pem);
  return undefined;
}

/** Every key this box knows seals by: its own (when it has one) and those restored. */
export function knownKeys(db: Db, own: BoxIdentity | undefined): KeyFor {
  const keys = new Map<string, KeyObject>();
  for (const c of restoredCertificates(db)) keys.set(c.sha256, new X509Certificate(c.pem).publicKey);
  if (own) keys.set(own.fingerprint, own.publicKey);
  return (fingerprint) => keys.get(fingerprint);
}
