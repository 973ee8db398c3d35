/** Hides credentials in URLs (`rtsp://user:pass@host` → `rtsp://***@host`) anywhere in a text. */
export function redact(text: string): string {
  // Up to the last '@' before the path, as ffmpeg splits user:password@host: a password may hold '@'.
  // A presigned URL's signature (a tier's footage handed to ffmpeg) is a password for a while too.
  return text
    .replace(/([a-z][a-z0-9+.-]*:\/\/)[^/?#\s]*@/gi, "$1***@")
    .replace(/(X-Amz-(?:Signature|Credential|Security-Token)=)[^&\s'":]+/gi, "$1***");
}
