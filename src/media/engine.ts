/**
 * The media work the keeper needs, behind one interface so that the ffmpeg path and the native
 * in-process path can be swapped (config `media.engine`).
 */
export interface MediaEngine {
  /** Duration in seconds as ffprobe's format=duration reads it; null when unreadable. */
  probeDuration(path: string): Promise<number | null>;
  /**
   * Write a copy of `src` with the index (moov) in front and the media copied without
   * re-encoding, to `dst` (a temporary name: the caller flushes and renames). Throws on failure.
   */
  faststartCopy(src: string, dst: string): Promise<void>;
}
