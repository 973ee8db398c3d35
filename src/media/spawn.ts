// Running ffprobe/ffmpeg: a child process with a time limit and bounded output.
export interface RunResult {
  code: number | null;
  stdout: string;
  /** stdout as bytes (a picture, say). */
  bytes: Uint8Array;
  stderr: string;
  timedOut: boolean;
}

const KEEP_STDERR = 4000; // enough to say why; a babbling child cannot fill memory

/**
 * Runs a child with a hard time limit: a hung ffmpeg is killed, never waited on forever.
 */
export async function run(cmd: string[], timeoutMs: number, stdin?: string): Promise<RunResult> {
  const started = performance.now();
  const child = Bun.spawn(cmd, {
    stdin: stdin === undefined ? "ignore" : new Blob([stdin]),
    stdout: "pipe",
    stderr: "pipe",
    timeout: timeoutMs,
    killSignal: "SIGKILL",
  });
  const [bytes, stderr, code] = await Promise.all([
    new Response(child.stdout).bytes(),
    new Response(child.stderr).text(),
    child.exited,
  ]);
  const timedOut = child.signalCode === "SIGKILL" && performance.now() - started >= timeoutMs - 50;
  return {
    code: child.signalCode ? null : code,
    stdout: new TextDecoder().decode(bytes),
    bytes,
    stderr: stderr.slice(-KEEP_STDERR),
    timedOut,
  };
}
