import type { Recording } from "../db/schema.ts";
import { initName, initSegment } from "../media/mp4/init.ts";
import { inspectMp4 } from "../media/mp4/inspect.ts";
import { readTracks, type Track } from "../media/mp4/tracks.ts";
import { logger } from "../log/log.ts";
import type { FootageLocator, FootageBytes } from "../tiers/footage.ts";
import { Recent } from "./recent.ts";

// What playback needs of a stored segment, read from its moov once and kept for a while.

const log = logger("playback");

/** Audio a browser plays in MP4 (AAC, Opus); other audio is left out of playback (and said so). */
const PLAYABLE_AUDIO = new Set(["mp4a", "Opus"]);
/** Segments whose sample tables are kept (about 30 KB each for 10 s of 1080p with audio). */
const KEEP_MEDIA = 64;
/** Segments whose init name and duration are kept (a playlist of a day asks for 8,640). */
const KEEP_SUMMARIES = 20_000;

export interface SegmentMedia {
  /** The tracks that play, in file order (video; audio a browser can play). */
  tracks: Track[];
  /** Sample formats left out (audio no browser plays). */
  leftOut: string[];
  init: { bytes: Uint8Array; name: string };
  /** The keyframe view's tracks (video only) and init. */
  keyTracks: Track[];
  keyInit: { bytes: Uint8Array; name: string };
  /** Seconds it plays: its video's sample durations summed (or its longest track's). */
  duration: number;
}

/** What a playlist needs of a segment. */
export interface SegmentSummary {
  init: string;
  keyInit: string;
  duration: number;
}

/** Segments' media as playback needs it, read from their moov (wherever they live) and cached. */
export class PlaybackMedia {
  private readonly media = new Recent<SegmentMedia>(KEEP_MEDIA);
  private readonly summaries = new Recent<SegmentSummary>(KEEP_SUMMARIES);
  /** What was said once: formats left out, segments that cannot be played. */
  private readonly said = new Set<string>();

  constructor(private readonly footage: FootageLocator) {}

  /**
   * The segment's tracks and init segments; undefined when its footage cannot be reached or
   * read (said once: a playlist goes on without it).
   */
  async of(row: Recording): Promise<SegmentMedia | undefined> {
    const known = this.media.get(row.id);
    if (known) return known;
    const bytes = await this.footage.bytes(row);
    if (!bytes) return undefined;
    const source = await bytes.open();
    try {
      const media = segmentMedia(readTracks(await inspectMp4(source)));
      for (const format of media.leftOut)
        this.sayOnce(
          `left ${format}`,
          `${row.camera}: ${format} is left out of playback (no browser plays it)`,
        );
      this.media.set(row.id, media);
      this.summaries.set(row.id, {
        init: media.init.name,
        keyInit: media.keyInit.name,
        duration: media.duration,
      });
      return media;
    } catch (e) {
      this.sayOnce(
        `unreadable ${row.camera}`,
        `${row.camera}: a stored segment cannot be played natively (${(e as Error).message}); left out of playlists and exports`,
      );
      return undefined;
    } finally {
      await source.close();
    }
  }

  private sayOnce(key: string, message: string): void {
    if (this.said.has(key) || this.said.size > 1000) return;
    this.said.add(key);
    log.warn(message);
  }

  /** What a playlist needs of a segment: its inits' names and how long it plays. */
  async summary(row: Recording): Promise<SegmentSummary | undefined> {
    const known = this.summaries.get(row.id);
    if (known) return known;
    return (await this.of(row)) && this.summaries.get(row.id);
  }

  /** The segment's bytes, for a fragment's media. */
  async bytes(row: Recording): Promise<FootageBytes | undefined> {
    return await this.footage.bytes(row);
  }
}

function segmentMedia(all: Track[]): SegmentMedia {
  const tracks = all.filter(
    (t) => t.handler === "vide" || (t.handler === "soun" && PLAYABLE_AUDIO.has(t.format)),
  );
  const leftOut = all.filter((t) => !tracks.includes(t)).map((t) => `${t.handler}:${t.format}`);
  const keyTracks = tracks.filter((t) => t.handler === "vide");
  const named = (ts: Track[]) => {
    const bytes = initSegment(ts);
    return { bytes, name: initName(bytes) };
  };
  const seconds = (t: Track) => t.samples.duration.reduce((n, d) => n + d, 0) / t.timescale;
  const video = keyTracks[0];
  return {
    tracks,
    leftOut,
    init: named(tracks),
    keyTracks,
    keyInit: named(keyTracks),
    duration: video ? seconds(video) : Math.max(0, ...tracks.map(seconds)),
  };
}
