import { SoapHttp, type Credentials } from "./http.ts";
import { type Addressing, envelope, OnvifError, parseAnswer, text, usernameToken, type Xml } from "./soap.ts";

// An ONVIF device as camkeep talks to it: its clock, its services' addresses, and calls to them.

/** Ordinary calls' time limit; long polls set their own. */
const CALL_MS = 10_000;

export interface OnvifTarget extends Credentials {
  host: string;
  port: number;
  /** Ordinary calls' time limit, ms (CALL_MS). */
  callTimeoutMs?: number;
}

export interface Profile {
  token: string;
  name: string;
  encoding?: string;
  width?: number;
  height?: number;
}

/**
 * A camera's device service and the addresses it gives for the others. `connect` first asks
 * the camera's time (without credentials, as the standard allows; with them if it insists)
 * and keeps the offset: every UsernameToken is then made in the camera's time.
 */
export class OnvifClient {
  /** The camera's clock minus ours, milliseconds. */
  offsetMs = 0;
  events?: string;
  media?: string;
  private readonly http: SoapHttp;
  readonly deviceUrl: string;

  constructor(private readonly target: OnvifTarget) {
    this.http = new SoapHttp(target);
    this.deviceUrl = `http://${hostPort(target.host, target.port)}/onvif/device_service`;
  }

  /** The camera's time now, by its own clock. */
  cameraNow(): Date {
    return new Date(Date.now() + this.offsetMs);
  }

  /** A camera time (ms) on our clock. */
  toLocal(cameraMs: number): number {
    return cameraMs - this.offsetMs;
  }

  async connect(signal?: AbortSignal): Promise<void> {
    const asked = Date.now();
    let body: Xml;
    try {
      body = await this.call(this.deviceUrl, "<tds:GetSystemDateAndTime/>", { auth: false, signal });
    } catch (e) {
      if (!(e instanceof OnvifError && e.kind === "auth")) throw e;
      body = await this.call(this.deviceUrl, "<tds:GetSystemDateAndTime/>", { signal });
    }
    const camera = cameraTime(body?.GetSystemDateAndTimeResponse?.SystemDateAndTime);
    if (camera !== undefined) this.offsetMs = camera - (asked + Date.now()) / 2;
    await this.findServices(signal);
  }

  /** The events and media services' addresses: GetCapabilities, or GetServices where that fails. */
  private async findServices(signal?: AbortSignal): Promise<void> {
    try {
      const c = (
        await this.call(
          this.deviceUrl,
          "<tds:GetCapabilities><tds:Category>All</tds:Category></tds:GetCapabilities>",
          {
            signal,
          },
        )
      )?.GetCapabilitiesResponse?.Capabilities;
      this.events = this.normalise(text(c?.Events?.XAddr));
      this.media = this.normalise(text(c?.Media?.XAddr));
    } catch (e) {
      if (e instanceof OnvifError && e.kind === "auth") throw e;
    }
    if (this.events && this.media) return;
    const services = (
      await this.call(
        this.deviceUrl,
        "<tds:GetServices><tds:IncludeCapability>false</tds:IncludeCapability></tds:GetServices>",
        {
          signal,
        },
      )
    )?.GetServicesResponse?.Service as Xml[] | undefined;
    for (const s of services ?? []) {
      const ns = text(s?.Namespace) ?? "";
      if (!this.events && ns.endsWith("/events/wsdl")) this.events = this.normalise(text(s.XAddr));
      if (!this.media && ns.endsWith("/media/wsdl")) this.media = this.normalise(text(s.XAddr));
    }
  }

  /**
   * A service address as the camera gave it, made reachable: a doubled port
   * (`host:8000:8000`, seen in the field) is undone, and an address on another host (the
   * camera's own idea of its IP, behind a NAT or a changed DHCP lease) is taken to the host and
   * port camkeep was told, its path kept.
   */
  normalise(xaddr: string | undefined): string | undefined {
    const first = xaddr?.trim().split(/\s+/)[0];
    if (!first) return undefined;
    const fixed = first.replace(/^(https?:\/\/[^/:]+)(:\d+)\2(?=\/|$)/, "$1$2");
    let url: URL;
    try {
      url = new URL(fixed);
    } catch {
      return undefined;
    }
    if (url.hostname.replace(/^\[|\]$/g, "") !== this.target.host) {
      url.hostname = this.target.host;
      url.port = String(this.target.port);
    }
    return url.href;
  }

  /** A call to a service: the body of its answer (faults and failures thrown as OnvifError). */
  async call(
    url: string,
    body: string,
    opts: { auth?: boolean; addressing?: Addressing; timeoutMs?: number; signal?: AbortSignal } = {},
  ): Promise<Xml> {
    const security =
      opts.auth !== false && this.target.user !== undefined
        ? usernameToken(this.target.user, this.target.password ?? "", this.cameraNow())
        : undefined;
    const { status, body: answer } = await this.http.post(
      url,
      envelope(body, { security, addressing: opts.addressing }),
      opts.timeoutMs ?? this.target.callTimeoutMs ?? CALL_MS,
      opts.signal,
    );
    if (status >= 500 || (status >= 200 && status < 300) || status === 400) {
      const parsed = parseAnswer(answer); // a fault comes with 400 or 500
      if (status >= 300) throw new OnvifError(`the camera answered HTTP ${status}`, "http");
      return Object.assign(parsed, { [RAW]: answer });
    }
    throw new OnvifError(`the camera answered HTTP ${status}`, "http");
  }

  async deviceInformation(signal?: AbortSignal): Promise<Record<string, string>> {
    const r = (await this.call(this.deviceUrl, "<tds:GetDeviceInformation/>", { signal }))
      ?.GetDeviceInformationResponse;
    const out: Record<string, string> = {};
    for (const k of ["Manufacturer", "Model", "FirmwareVersion", "SerialNumber", "HardwareId"])
      if (text(r?.[k]) !== undefined) out[k] = text(r[k])!;
    return out;
  }

  async profiles(signal?: AbortSignal): Promise<Profile[]> {
    if (!this.media) throw new OnvifError("the camera names no media service", "fault");
    const r = (await this.call(this.media, "<trt:GetProfiles/>", { signal }))?.GetProfilesResponse
      ?.Profiles as Xml[];
    return (r ?? []).map((p) => {
      const v = p?.VideoEncoderConfiguration;
      return {
        token: String(p?.["@token"] ?? ""),
        name: text(p?.Name) ?? "",
        encoding: text(v?.Encoding),
        width: Number(text(v?.Resolution?.Width)) || undefined,
        height: Number(text(v?.Resolution?.Height)) || undefined,
      };
    });
  }

  /** A profile's RTSP address (over TCP, as camkeep's recorder reads it). */
  async streamUri(profile: string, signal?: AbortSignal): Promise<string> {
    if (!this.media) throw new OnvifError("the camera names no media service", "fault");
    const r = await this.call(
      this.media,
      `<trt:GetStreamUri><trt:StreamSetup><tt:Stream>RTP-Unicast</tt:Stream><tt:Transport><tt:Protocol>RTSP</tt:Protocol></tt:Transport></trt:StreamSetup><trt:ProfileToken>${profile}</trt:ProfileToken></trt:GetStreamUri>`,
      { signal },
    );
    const uri = text(r?.GetStreamUriResponse?.MediaUri?.Uri);
    if (!uri) throw new OnvifError("the camera gave no stream address", "fault");
    return uri;
  }
}

/** The raw text of an answer, kept beside its parse (a subscription's reference is echoed from it). */
export const RAW = Symbol("raw answer");

function hostPort(host: string, port: number): string {
  return `${host.includes(":") ? `[${host}]` : host}:${port}`;
}

/** Epoch ms of a SystemDateAndTime's UTC time; undefined when it gives none that is plausible. */
function cameraTime(s: Xml): number | undefined {
  const u = s?.UTCDateTime;
  const n = (x: Xml) => Number(text(x));
  if (!u) return undefined;
  const ms = Date.UTC(
    n(u.Date?.Year),
    n(u.Date?.Month) - 1,
    n(u.Date?.Day),
    n(u.Time?.Hour),
    n(u.Time?.Minute),
    n(u.Time?.Second),
  );
  return Number.isFinite(ms) && n(u.Date?.Year) > 2000 ? ms : undefined;
}

/** An RTSP address with the camera's credentials put in (for the recorder; never logged as is). */
export function withCredentials(uri: string, user: string | undefined, password: string | undefined): string {
  if (user === undefined) return uri;
  try {
    const u = new URL(uri);
    u.username = encodeURIComponent(user);
    u.password = encodeURIComponent(password ?? "");
    return u.href;
  } catch {
    return uri;
  }
}
