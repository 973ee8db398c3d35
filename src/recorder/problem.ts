// What an ffmpeg error line means for a camera's owner, in plain words. Pure.

const PROBLEMS: readonly [RegExp, string][] = [
  [/\b401\b|Unauthorized/i, "the camera refused the user name or password (RTSP 401)"],
  [/\b403\b|Forbidden/i, "the camera refused the stream (RTSP 403)"],
  [/\b404\b|Not Found/i, "the camera has no stream at that address (RTSP 404)"],
  [/Connection refused/i, "cannot reach the camera (connection refused)"],
  [
    /No route to host|Network is unreachable|Host is unreachable/i,
    "cannot reach the camera (no route to it)",
  ],
  [
    /Name or service not known|Temporary failure in name resolution/i,
    "cannot reach the camera (its name is not known)",
  ],
  [/timed out|Operation timed out|Connection timed out/i, "no answer from the camera (timed out)"],
  [/Invalid data found/i, "the input is not a stream ffmpeg can read"],
];

/** The problem an ffmpeg line names, or undefined when it names none camkeep knows. */
export function problemOf(line: string): string | undefined {
  return PROBLEMS.find(([re]) => re.test(line))?.[1];
}
