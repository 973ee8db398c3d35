import { fileResponse } from "../storage/ranged.ts";
import { mkdir, open, readFile, rename, rmdir, stat, unlink } from "node:fs/promises";
import { fileRange } from "../storage/file-range.ts";
import { dirname, join, resolve } from "node:path";
import type { Db } from "../db/open.ts";
import { tempPathFor } from "../storage/layout.ts";
import { claimVolume, markerId, VOLUME_MARKER } from "../storage/volume.ts";
import type { TierTarget } from "./target.ts";

/** How long a folder tier may take to answer before it counts as hung (a dead network share). */
const ANSWER_MS = 5_000;
/** A folder tier's marker is checked again at most this often. */
const CHECK_MS = 5_000;

/**
 * A folder tier: a NAS share or a USB disk, laid out as storage is, with a volume marker of
 * its own bound to this database (`tier:<name>` in meta), so an unmounted share is never
 * written to or taken for empty. Files are written as storage writes them: a temporary name,
 * flushed, renamed, the folder flushed.
 *
 * A network share can hang rather than fail (a hard NFS mount whose server went away). So
 * everything here is asynchronous — a hung call holds a thread of the pool, never the event
 * loop that stores footage and answers the API — and the marker is first looked at with a
 * time limit: a share that does not answer is a problem of the tier, and nothing else is
 * asked of it until it answers again.
 */
export class FolderTier implements TierTarget {
  private state: { problem?: string; bound?: string; checkedAt: number } = { checkedAt: 0 };
  private checking?: Promise<void>;

  constructor(
    readonly name: string,
    readonly root: string,
    private readonly db: Db,
    private readonly holdsFootage: () => boolean,
  ) {
    void this.check();
  }

  /** The last check's verdict (never touches the folder: status and health ask it often). */
  problem(): string | undefined {
    return this.state.problem;
  }

  async probe(): Promise<string | undefined> {
    await this.check();
    return this.state.problem;
  }

  private check(): Promise<void> {
    this.checking ??= this.lookAtMarker().finally(() => {
      this.checking = undefined;
    });
    return this.checking;
  }

  private async lookAtMarker(): Promise<void> {
    // Read, not only stat'ed: a dead NFS server's attributes can still come from a cache.
    const marker = join(this.root, VOLUME_MARKER);
    const answered = await Promise.race([
      readFile(marker).then(
        () => true,
        () => true,
      ),
      Bun.sleep(ANSWER_MS).then(() => false),
    ]);
    const fail = (problem: string) => {
      this.state = { ...this.state, problem: `tier ${this.name}: ${problem}`, checkedAt: Date.now() };
    };
    if (!answered)
      return fail(`${this.root} does not answer within ${ANSWER_MS / 1000} s (a hung network share?)`);
    // It answered: the claim's few small reads and writes may go ahead. A share mounted after
    // camkeep started is claimed once its marker shows.
    try {
      if (!this.state.bound) {
        const claim = claimVolume(this.db, this.root, this.holdsFootage() ? 1 : 0, `tier:${this.name}`);
        if (!claim.ok) return fail(claim.reason.replace(`storage ${this.root} `, `${this.root} `));
        this.state.bound = markerId(this.root);
      } else if (markerId(this.root) !== this.state.bound) {
        return fail(`${this.root} holds another volume (another disk mounted?)`);
      }
    } catch (e) {
      return fail(`${this.root} lacks a readable ${VOLUME_MARKER} (unmounted?): ${(e as Error).message}`);
    }
    this.state = { bound: this.state.bound, checkedAt: Date.now() };
  }

  /** The file of a key, once the folder answered a check of the last few seconds. */
  private async pathOf(key: string): Promise<string> {
    if (Date.now() - this.state.checkedAt >= CHECK_MS) await this.check();
    if (this.state.problem) throw new Error(this.state.problem);
    return join(this.root, key);
  }

  async put(key: string, bytes: Uint8Array): Promise<void> {
    const path = await this.pathOf(key);
    const temp = tempPathFor(path);
    try {
      await this.mkdirs(dirname(path));
      await Bun.write(temp, bytes);
      await flush(temp);
      await rename(temp, path);
      await flush(dirname(path));
    } catch (e) {
      await unlink(temp).catch(() => undefined);
      throw new Error(`tier ${this.name}: cannot write ${path}: ${(e as Error).message}`);
    }
  }

  /**
   * Read back and compared with the source byte for byte: what the folder gives back is what
   * was meant to be there (stronger than comparing hashes, and a tenth of the CPU).
   */
  async verify(key: string, source: Uint8Array): Promise<string | undefined> {
    const file = Bun.file(await this.pathOf(key));
    if (!(await file.exists())) return "the copy is missing";
    const bytes = await file.bytes();
    if (bytes.length !== source.length) return `the copy holds ${bytes.length} bytes, not ${source.length}`;
    return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length).equals(source)
      ? undefined
      : "the copy read back differs from the source";
  }

  async read(key: string): Promise<Uint8Array> {
    return await Bun.file(await this.pathOf(key)).bytes();
  }

  async stream(key: string, start: number, end: number): Promise<ReadableStream<Uint8Array>> {
    return fileRange(await this.pathOf(key), start, end);
  }

  /** Removes a file (one already gone is no error), then the folders it leaves empty. */
  async remove(key: string): Promise<void> {
    const path = await this.pathOf(key);
    try {
      await unlink(path);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === "ENOENT") return;
      throw e;
    }
    await flush(dirname(path));
    const top = resolve(this.root);
    for (let dir = resolve(dirname(path)); dir.startsWith(`${top}/`); dir = dirname(dir)) {
      if (
        !(await rmdir(dir).then(
          () => true,
          () => false,
        ))
      )
        break; // not empty: nor are those above
    }
  }

  async exists(key: string): Promise<boolean | undefined> {
    return await stat(join(this.root, key)).then(
      () => true,
      (e: NodeJS.ErrnoException) => (e.code === "ENOENT" ? false : undefined),
    );
  }

  async respond(key: string, req: Request): Promise<Response> {
    const path = await this.pathOf(key);
    if (!(await Bun.file(path).exists())) return new Response(null, { status: 404 });
    return fileResponse(path, req, {});
  }

  source(key: string): string {
    if (this.state.problem) throw new Error(this.state.problem);
    return join(this.root, key);
  }

  /** mkdir -p (0750), flushing the parent of each folder it made, so they survive power loss. */
  private async mkdirs(dir: string): Promise<void> {
    const first = await mkdir(dir, { recursive: true, mode: 0o750 });
    if (first === undefined) return;
    for (let d = dir; d !== dirname(first); d = dirname(d)) await flush(dirname(d));
  }
}

/** fsync of a file or a folder, off the event loop. */
async function flush(path: string): Promise<void> {
  const handle = await open(path, "r");
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}
