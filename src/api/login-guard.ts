/**
 * Failed logins and bad tokens, per client address (docs/security.md): a few are free, then the address
 * waits, twice as long after each further failure, up to 15 minutes. Remembers a bounded
 * number of addresses; a success forgets one.
 */
export const FREE_FAILURES = 5;
const MAX_WAIT_S = 900;
const FORGET_AFTER_S = 3600;
const MAX_ADDRESSES = 10_000;

interface Record {
  failures: number;
  last: number;
  blockedUntil: number;
}

export class LoginGuard {
  private readonly byAddress = new Map<string, Record>();
  /** Failures since start, for metrics. */
  failures = 0;

  /** Seconds the address must still wait, or 0. */
  waitFor(address: string, now: number): number {
    const r = this.byAddress.get(address);
    return r ? Math.max(0, Math.ceil(r.blockedUntil - now)) : 0;
  }

  failed(address: string, now: number): void {
    this.failures++;
    let r = this.byAddress.get(address);
    if (!r || now - r.last > FORGET_AFTER_S) r = { failures: 0, last: now, blockedUntil: 0 };
    r.failures++;
    r.last = now;
    if (r.failures > FREE_FAILURES)
      r.blockedUntil = now + Math.min(MAX_WAIT_S, 2 ** (r.failures - FREE_FAILURES - 1));
    this.byAddress.delete(address); // re-inserted: the map keeps the most recent last
    this.byAddress.set(address, r);
    if (this.byAddress.size > MAX_ADDRESSES) this.byAddress.delete(this.byAddress.keys().next().value!);
  }

  succeeded(address: string): void {
    this.byAddress.delete(address);
  }
}
