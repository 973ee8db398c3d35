import type { TierTarget } from "../tiers/target.ts";
import { withCamera } from "./rows.ts";

/**
 * A viewer's site (docs/archive.md#viewer-mode): its bucket, read with the keys the viewer's index
 * gives its footage (`…/<site>-<camera>/…`) turned back into the site's own (`…/<camera>/…`). Read
 * only: a viewer writes nothing into a site's bucket.
 */
export class SiteTier implements TierTarget {
  constructor(
    readonly name: string,
    private readonly bucket: TierTarget,
  ) {}

  private own(key: string): string {
    const camera = key.split("/")[2] ?? "";
    return withCamera(key, camera.slice(this.name.length + 1));
  }

  private refuse(): never {
    throw new Error(`site ${this.name} is read-only: a viewer writes nothing into a site's bucket`);
  }

  put(): Promise<void> {
    return this.refuse();
  }
  verify(): Promise<string | undefined> {
    return this.refuse();
  }
  remove(): Promise<void> {
    return this.refuse();
  }
  read(key: string) {
    return this.bucket.read(this.own(key));
  }
  stream(key: string, start: number, end: number) {
    return this.bucket.stream(this.own(key), start, end);
  }
  respond(key: string, req: Request) {
    return this.bucket.respond(this.own(key), req);
  }
  source(key: string, seconds: number) {
    return this.bucket.source(this.own(key), seconds);
  }
  problem() {
    return this.bucket.problem();
  }
  probe() {
    return this.bucket.probe();
  }
}
