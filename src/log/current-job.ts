/**
 * Which job began last on the event loop, and when: what the watchdog (health/event-loop.ts)
 * names when the loop stops. Kept in shared memory so that the watchdog's thread can read it
 * while the main thread is stuck. One event loop per process, so one note per process.
 *
 * Layout: [0] the loop's last heartbeat, [1] when the last job began (both epoch ms from the
 * monotonic clock), [2] the length of its label in bytes; the label's bytes follow at LABEL_AT.
 */
export const LABEL_AT = 32;
const LABEL_BYTES = 200;
export const jobBuffer = new SharedArrayBuffer(LABEL_AT + LABEL_BYTES);
export const jobTimes = new Float64Array(jobBuffer, 0, 3);
const label = new Uint8Array(jobBuffer, LABEL_AT, LABEL_BYTES);
const encoder = new TextEncoder();

/** Epoch ms from the monotonic clock: a wall-clock step is no stall. */
export const monotonicNowMs = () => performance.timeOrigin + performance.now();

/** Notes that a job begins (a keeper pass, a look at the tier queues, an expiry run, a request). Costs a few stores. */
export function noteJob(what: string): void {
  jobTimes[1] = monotonicNowMs();
  jobTimes[2] = encoder.encodeInto(what, label).written;
}
