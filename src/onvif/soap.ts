import { createHash, randomBytes, randomUUID } from "node:crypto";
import { XMLParser } from "fast-xml-parser";

// SOAP 1.2 as ONVIF cameras speak it: envelopes with WS-Security and WS-Addressing, answers parsed.

export const NS = {
  s: "http://www.w3.org/2003/05/soap-envelope",
  wsa: "http://www.w3.org/2005/08/addressing",
  wsse: "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd",
  wsu: "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-utility-1.0.xsd",
  tds: "http://www.onvif.org/ver10/device/wsdl",
  trt: "http://www.onvif.org/ver10/media/wsdl",
  tev: "http://www.onvif.org/ver10/events/wsdl",
  wsnt: "http://docs.oasis-open.org/wsn/b-2",
  tt: "http://www.onvif.org/ver10/schema",
} as const;

/** What went wrong talking to a camera, in words for its status (never its password). */
export class OnvifError extends Error {
  constructor(
    message: string,
    /** The kind, for counting and for what to do next. */
    readonly kind:
      | "timeout"
      | "network"
      | "http"
      | "garbage"
      | "too_large"
      | "auth"
      | "fault"
      | "unknown_subscription",
  ) {
    super(message);
  }
}

/** Elements that may repeat: always arrays, so one and many read alike. */
const ARRAYS = new Set([
  "NotificationMessage",
  "SimpleItem",
  "SimpleItemDescription",
  "Profiles",
  "Service",
  "Extension",
]);

const parser = new XMLParser({
  ignoreAttributes: false,
  removeNSPrefix: true,
  attributeNamePrefix: "@",
  parseTagValue: false,
  parseAttributeValue: false,
  processEntities: true,
  isArray: (name) => ARRAYS.has(name),
});

// biome-ignore lint/suspicious/noExplicitAny: parsed XML is whatever the camera sent; readers check each step
export type Xml = any;

/** Text of an element that may carry attributes ({"#text": …}) or be plain text. */
export function text(node: Xml): string | undefined {
  if (node === undefined || node === null) return undefined;
  if (typeof node === "string" || typeof node === "number") return String(node);
  const t = node["#text"];
  return t === undefined ? undefined : String(t);
}

/** The Body of a SOAP answer; a Fault throws (ResourceUnknown and NotAuthorized named as such). */
export function parseAnswer(xml: string): Xml {
  let doc: Xml;
  try {
    doc = parser.parse(xml);
  } catch (e) {
    throw new OnvifError(`the answer is not XML (${(e as Error).message.slice(0, 80)})`, "garbage");
  }
  const body = doc?.Envelope?.Body;
  if (!body || typeof body !== "object") throw new OnvifError("the answer is not a SOAP envelope", "garbage");
  if (body.Fault) throw faultOf(body.Fault);
  return body;
}

function faultOf(f: Xml): OnvifError {
  const codes: string[] = [];
  for (let c = f.Code; c; c = c.Subcode) if (text(c.Value)) codes.push(text(c.Value)!);
  const reason = text(f.Reason?.Text) ?? text(f.faultstring) ?? "";
  const all = `${codes.join(" ")} ${reason} ${JSON.stringify(f.Detail ?? "")}`;
  const message =
    `the camera answered a fault: ${[...codes.map((c) => c.replace(/^\w+:/, "")), reason].filter(Boolean).join(", ")}`.slice(
      0,
      300,
    );
  if (/ResourceUnknown|unknown subscription|InvalidSubscription/i.test(all))
    return new OnvifError(message, "unknown_subscription");
  if (/NotAuthorized|FailedAuthentication|InvalidSecurity|Sender not Authorized/i.test(all))
    return new OnvifError(`the camera refused the user name or password (${message.slice(29)})`, "auth");
  return new OnvifError(message, "fault");
}

/**
 * A WS-Security UsernameToken with a password digest: SHA-1 of nonce, creation time and
 * password, the time being the camera's (cameras refuse tokens created too far from their clock).
 */
export function usernameToken(user: string, password: string, cameraNow: Date): string {
  const nonce = randomBytes(16);
  const created = `${cameraNow.toISOString().slice(0, 19)}Z`;
  const digest = createHash("sha1")
    .update(Buffer.concat([nonce, Buffer.from(created), Buffer.from(password)]))
    .digest("base64");
  return (
    `<wsse:Security s:mustUnderstand="1" xmlns:wsse="${NS.wsse}" xmlns:wsu="${NS.wsu}"><wsse:UsernameToken>` +
    `<wsse:Username>${escapeXml(user)}</wsse:Username>` +
    `<wsse:Password Type="http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-username-token-profile-1.0#PasswordDigest">${digest}</wsse:Password>` +
    `<wsse:Nonce EncodingType="http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-soap-message-security-1.0#Base64Binary">${nonce.toString("base64")}</wsse:Nonce>` +
    `<wsu:Created>${created}</wsu:Created></wsse:UsernameToken></wsse:Security>`
  );
}

export interface Addressing {
  action: string;
  to: string;
  /** Raw XML the subscription's reference asked to be echoed (its ReferenceParameters), with the declarations it needs. */
  reference?: string;
}

/** A SOAP 1.2 envelope around `body` (which declares its own prefixes' namespaces, or uses those here). */
export function envelope(body: string, opts: { security?: string; addressing?: Addressing }): string {
  const a = opts.addressing;
  const header = [
    opts.security ?? "",
    a
      ? `<wsa:Action s:mustUnderstand="1">${escapeXml(a.action)}</wsa:Action>` +
        `<wsa:MessageID>urn:uuid:${randomUUID()}</wsa:MessageID>` +
        `<wsa:ReplyTo><wsa:Address>http://www.w3.org/2005/08/addressing/anonymous</wsa:Address></wsa:ReplyTo>` +
        `<wsa:To s:mustUnderstand="1">${escapeXml(a.to)}</wsa:To>${a.reference ?? ""}`
      : "",
  ].join("");
  const ns = Object.entries(NS)
    .map(([p, uri]) => `xmlns:${p}="${uri}"`)
    .join(" ");
  return `<?xml version="1.0" encoding="UTF-8"?><s:Envelope ${ns}><s:Header>${header}</s:Header><s:Body>${body}</s:Body></s:Envelope>`;
}

export function escapeXml(s: string): string {
  return s.replace(
    /[<>&"']/g,
    (c) => ({ "<": "&lt;", ">": "&gt;", "&": "&amp;", '"': "&quot;", "'": "&apos;" })[c]!,
  );
}

/**
 * The ReferenceParameters of a subscription's address, as raw XML to echo in each later
 * request's header — each element marked as a reference parameter, and given the namespace
 * declarations of the answer that its prefixes need (they may have been declared higher up).
 */
export function referenceParameters(answer: string): string | undefined {
  const m = /<(?:[\w.-]+:)?ReferenceParameters\b[^>]*>([\s\S]*?)<\/(?:[\w.-]+:)?ReferenceParameters>/.exec(
    answer,
  );
  const inner = m?.[1]?.trim();
  if (!inner) return undefined;
  const declared = new Map<string, string>();
  for (const d of answer.matchAll(/xmlns:([\w.-]+)="([^"]*)"/g)) declared.set(d[1]!, d[2]!);
  const used = new Set([...inner.matchAll(/<\/?([\w.-]+):/g)].map((u) => u[1]!));
  const declarations = [...used]
    .filter((p) => declared.has(p) && !new RegExp(`xmlns:${p}=`).test(inner))
    .map((p) => ` xmlns:${p}="${declared.get(p)}"`)
    .join("");
  // Each top-level element gets the declarations and the IsReferenceParameter mark.
  let depth = 0;
  return inner.replace(/<(\/?)([\w.:-]+)([^>]*?)(\/?)>/g, (tag, close, name, attrs, selfClosing) => {
    if (close) {
      depth--;
      return tag;
    }
    const top = depth === 0;
    if (!selfClosing) depth++;
    return top ? `<${name}${attrs}${declarations} wsa:IsReferenceParameter="true"${selfClosing}>` : tag;
  });
}
