import type { Config } from "../config/load.ts";
import type { MediaEngine } from "./engine.ts";
import { ffmpegEngine } from "./ffmpeg.ts";
import { nativeEngine, type MediaCounters } from "./native.ts";

/** The media engine `media.engine` asks for; counters are there for the native one. */
export function mediaEngine(config: Pick<Config, "media">): MediaEngine & { counters?: MediaCounters } {
  return config.media.engine === "ffmpeg" ? ffmpegEngine() : nativeEngine(ffmpegEngine());
}
