/**
 * Is the wall clock to be trusted? A Raspberry Pi has no real-time clock: it can boot in 1970
 * or at its last shutdown, then jump when NTP answers. Deleting by age on such a clock could
 * expire everything, so callers skip deletions while it is not sane.
 */
export const MAX_CLOCK_STEP_S = 60;
/** After a step, the clock stays suspect this long (NTP may still be settling). */
export const STEP_MEMORY_S = 300;
const EARLIEST_PLAUSIBLE = Date.UTC(2024, 0, 1) / 1000;

export interface ClockVerdict {
  sane: boolean;
  reason?: string;
}

export class ClockWatch {
  private last?: { wall: number; mono: number };
  private lastStepAt?: number; // monotonic seconds

  /**
   * wall: epoch seconds; mono: a monotonic clock in seconds; newestStored: start of the newest
   * stored segment, if any.
   */
  check(wall: number, mono: number, newestStored: number | undefined): ClockVerdict {
    if (this.last) {
      const drift = wall - this.last.wall - (mono - this.last.mono);
      if (Math.abs(drift) > MAX_CLOCK_STEP_S) this.lastStepAt = mono;
    }
    this.last = { wall, mono };
    if (wall < EARLIEST_PLAUSIBLE)
      return { sane: false, reason: "clock not sane: the wall clock reads before 2024" };
    if (newestStored !== undefined && wall < newestStored - MAX_CLOCK_STEP_S) {
      return {
        sane: false,
        reason: "clock not sane: the wall clock reads earlier than the newest stored footage",
      };
    }
    if (this.lastStepAt !== undefined && mono - this.lastStepAt < STEP_MEMORY_S) {
      return {
        sane: false,
        reason: `clock not sane: it stepped by more than ${MAX_CLOCK_STEP_S} s recently`,
      };
    }
    return { sane: true };
  }
}
