import { existsSync, renameSync, unlinkSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { removeEmptyFolders } from "../cleanup/delete.ts";
import type { Db } from "../db/open.ts";
import { fsyncDir, fsyncPath, mkdirDurable } from "../storage/durable.ts";
import { tempPathFor } from "../storage/layout.ts";
import { claimVolume, hasVolumeMarker, markerId, VOLUME_MARKER } from "../storage/volume.ts";
import type { TierTarget } from "./target.ts";

/**
 * A folder tier: a NAS share or a USB disk, laid out as storage is, with a volume marker of
 * its own bound to this database (`tier:<name>` in meta), so an unmounted share is never
 * written to or taken for empty. Files are written as storage writes them: a temporary name,
 * flushed, renamed, the folder flushed.
 */
export class FolderTier implements TierTarget {
  private claimProblem?: string;
  private bound?: string;

  constructor(readonly name: string, readonly root: string, private readonly db: Db, private readonly holdsFootage: () => boolean) {
    this.claim();
  }

  private claim(): void {
    const claim = claimVolume(this.db, this.root, this.holdsFootage() ? 1 : 0, `tier:${this.name}`);
    this.claimProblem = claim.ok ? undefined : claim.reason.replace(/^storage /, `tier ${this.name}: `);
    if (claim.ok) this.bound = markerId(this.root);
  }

  problem(): string | undefined {
    // A share mounted after camkeep started is claimed once its marker shows.
    if (this.claimProblem && hasVolumeMarker(this.root)) this.claim();
    if (this.claimProblem) return this.claimProblem;
    if (!hasVolumeMarker(this.root)) return `tier ${this.name}: ${this.root} lacks ${VOLUME_MARKER} (unmounted?)`;
    if (markerId(this.root) !== this.bound) return `tier ${this.name}: ${this.root} holds another volume (another disk mounted?)`;
    return undefined;
  }

  private pathOf(key: string): string {
    const problem = this.problem();
    if (problem) throw new Error(problem);
    return join(this.root, key);
  }

  async put(key: string, bytes: Uint8Array): Promise<void> {
    const path = this.pathOf(key);
    mkdirDurable(dirname(path));
    const temp = tempPathFor(path);
    try {
      writeFileSync(temp, bytes, { mode: 0o640 });
      fsyncPath(temp);
      renameSync(temp, path);
    } catch (e) {
      try { unlinkSync(temp); } catch { /* never written */ }
      throw new Error(`tier ${this.name}: cannot write ${path}: ${(e as Error).message}`);
    }
    fsyncDir(dirname(path));
  }

  /**
   * Read back and compared with the source byte for byte: what the folder gives back is what
   * was meant to be there (stronger than comparing hashes, and a tenth of the CPU).
   */
  async verify(key: string, source: Uint8Array): Promise<string | undefined> {
    const file = Bun.file(this.pathOf(key));
    if (!(await file.exists())) return "the copy is missing";
    const bytes = await file.bytes();
    if (bytes.length !== source.length) return `the copy holds ${bytes.length} bytes, not ${source.length}`;
    return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length).equals(source) ? undefined : "the copy read back differs from the source";
  }

  async read(key: string): Promise<Uint8Array> {
    return await Bun.file(this.pathOf(key)).bytes();
  }

  async remove(key: string): Promise<void> {
    const path = this.pathOf(key);
    if (!existsSync(path)) return;
    unlinkSync(path);
    fsyncDir(dirname(path));
    removeEmptyFolders(this.root, [dirname(path)]);
  }

  async respond(key: string): Promise<Response> {
    const path = this.pathOf(key);
    if (!existsSync(path)) return new Response(null, { status: 404 });
    return new Response(Bun.file(path)); // Bun answers Range (206/416) itself
  }

  source(key: string): string {
    return this.pathOf(key);
  }
}
