/**
 * The media work the keeper needs, behind one interface so that the ffmpeg path and the native
 * in-process path can be swapped (config `media.engine`).
 */
export interface MediaEngine {
  /** What a file's content says of its duration (a failed probe proves nothing: docs/retention.md). */
  probeDuration(path: string): Promise<Probe>;
  /**
   * Write a copy of `src` with the index (moov) in front and the media copied without
   * re-encoding, to `dst` (a temporary name: the caller flushes and renames). Throws on failure.
   * Answers the SHA-256 (hex) of the bytes written (docs/evidence.md).
   */
  faststartCopy(src: string, dst: string): Promise<string>;
}

/**
 * A probe's answer. `invalid`: the content was read and is not a usable segment — the only
 * answer that may lead to deleting it. `failed`: the probe itself could not do its work (a
 * timeout, a tool that did not start, no file descriptors or memory, an I/O error): nothing is
 * known of the file, so it is tried again and in the end set aside, never deleted.
 */
export type Probe =
  | { kind: "ok"; duration: number }
  | { kind: "invalid"; reason: string }
  | { kind: "failed"; reason: string };
