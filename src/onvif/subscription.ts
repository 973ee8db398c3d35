import { type OnvifClient, RAW } from "./client.ts";
import { OnvifError, referenceParameters, text, type Xml } from "./soap.ts";

// A pull-point subscription to a camera's events: created, pulled, renewed before it ends.

const ACTION = {
  create: "http://www.onvif.org/ver10/events/wsdl/EventPortType/CreatePullPointSubscriptionRequest",
  pull: "http://www.onvif.org/ver10/events/wsdl/PullPointSubscription/PullMessagesRequest",
  sync: "http://www.onvif.org/ver10/events/wsdl/PullPointSubscription/SetSynchronizationPointRequest",
  renew: "http://docs.oasis-open.org/wsn/bw-2/SubscriptionManager/RenewRequest",
  unsubscribe: "http://docs.oasis-open.org/wsn/bw-2/SubscriptionManager/UnsubscribeRequest",
  properties: "http://www.onvif.org/ver10/events/wsdl/EventPortType/GetEventPropertiesRequest",
};

/** A pull's own time limit beyond the wait it asked the camera for. */
const PULL_SLACK_MS = 15_000;

/**
 * One subscription. Its end is tracked on our clock from the camera's own CurrentTime and
 * TerminationTime (so a skewed camera clock does not matter); a pull that moves the end
 * (cameras that extend on every pull) is believed, and Renew is sent only when the end comes
 * near — never after every pull, which some cameras cannot take.
 */
export class PullPoint {
  private constructor(
    private readonly client: OnvifClient,
    readonly address: string,
    private readonly reference: string | undefined,
    /** When the camera ends it, epoch ms on our clock. */
    public endsAt: number,
  ) {}

  static async create(client: OnvifClient, seconds: number, signal?: AbortSignal): Promise<PullPoint> {
    const events = client.events;
    if (!events) throw new OnvifError("the camera names no events service", "fault");
    const body = await client.call(
      events,
      `<tev:CreatePullPointSubscription><tev:InitialTerminationTime>PT${seconds}S</tev:InitialTerminationTime></tev:CreatePullPointSubscription>`,
      { addressing: { action: ACTION.create, to: events }, signal },
    );
    const r = body?.CreatePullPointSubscriptionResponse;
    if (!r)
      throw new OnvifError(
        "the camera's answer to CreatePullPointSubscription holds no subscription",
        "garbage",
      );
    const address = client.normalise(text(r.SubscriptionReference?.Address)) ?? events;
    return new PullPoint(
      client,
      address,
      referenceParameters(body[RAW]),
      endOf(r) ?? Date.now() + seconds * 1000,
    );
  }

  /** Renew is due once the end is nearer than a pull and its slack. */
  renewDue(pullSeconds: number, now = Date.now()): boolean {
    return this.endsAt - now < pullSeconds * 1000 + PULL_SLACK_MS + 15_000;
  }

  async pull(seconds: number, limit: number, signal?: AbortSignal): Promise<Xml[]> {
    const body = await this.call(
      ACTION.pull,
      `<tev:PullMessages><tev:Timeout>PT${seconds}S</tev:Timeout><tev:MessageLimit>${limit}</tev:MessageLimit></tev:PullMessages>`,
      seconds * 1000 + PULL_SLACK_MS,
      signal,
    );
    const r = body?.PullMessagesResponse;
    if (!r) throw new OnvifError("the camera's answer to PullMessages holds no messages element", "garbage");
    const end = endOf(r);
    if (end !== undefined && end > this.endsAt) this.endsAt = end;
    return r.NotificationMessage ?? [];
  }

  async renew(seconds: number, signal?: AbortSignal): Promise<void> {
    const body = await this.call(
      ACTION.renew,
      `<wsnt:Renew><wsnt:TerminationTime>PT${seconds}S</wsnt:TerminationTime></wsnt:Renew>`,
      10_000,
      signal,
    );
    this.endsAt = endOf(body?.RenewResponse) ?? Date.now() + seconds * 1000;
  }

  /** Asks the camera to send every state again (some cannot: tolerated by the caller). */
  async synchronize(signal?: AbortSignal): Promise<void> {
    await this.call(ACTION.sync, "<tev:SetSynchronizationPoint/>", 10_000, signal);
  }

  async unsubscribe(): Promise<void> {
    await this.call(ACTION.unsubscribe, "<wsnt:Unsubscribe/>", 2_000);
  }

  private call(action: string, body: string, timeoutMs: number, signal?: AbortSignal): Promise<Xml> {
    return this.client.call(this.address, body, {
      addressing: { action, to: this.address, reference: this.reference },
      timeoutMs,
      signal,
    });
  }
}

/** The topics a camera offers (GetEventProperties), normalised paths of its topic set's leaves. */
export async function offeredTopics(client: OnvifClient, signal?: AbortSignal): Promise<string[]> {
  if (!client.events) throw new OnvifError("the camera names no events service", "fault");
  const body = await client.call(client.events, "<tev:GetEventProperties/>", {
    addressing: { action: ACTION.properties, to: client.events },
    signal,
  });
  const set = body?.GetEventPropertiesResponse?.TopicSet;
  const out: string[] = [];
  const walk = (node: Xml, path: string[]) => {
    if (!node || typeof node !== "object") return;
    if (Array.isArray(node)) {
      for (const n of node) walk(n, path); // a topic named twice in the set
      return;
    }
    for (const [k, v] of Object.entries(node)) {
      if (k.startsWith("@") || k === "#text" || k === "MessageDescription") continue;
      const below = v as Xml;
      const leaf = (n: Xml) => n && typeof n === "object" && (n["@topic"] === "true" || n.MessageDescription);
      if ((Array.isArray(below) ? below : [below]).some(leaf)) out.push([...path, k].join("/"));
      walk(below, [...path, k]);
    }
  };
  walk(set, []);
  return [...new Set(out)];
}

/** When a subscription ends, on our clock: its TerminationTime less the CurrentTime it came with. */
function endOf(r: Xml): number | undefined {
  const current = Date.parse(text(r?.CurrentTime) ?? "");
  const end = Date.parse(text(r?.TerminationTime) ?? "");
  if (!Number.isFinite(current) || !Number.isFinite(end) || end <= current) return undefined;
  return Date.now() + (end - current);
}
