// Another client with this box's client id: seen from connections the broker keeps ending.

/** A connection that ends sooner than this after it was made counts as taken over. */
const SHORT_S = 10;
/** This many such ends… */
const TIMES = 3;
/** …within this long mean another client uses the same id. */
const WINDOW_S = 120;
/** A connection that lasts this long clears the suspicion. */
const CLEAR_S = 60;

/**
 * An MQTT 3.1.1 broker ends a session's connection when another client connects with the same
 * client id, and the two then throw each other off every second. Nothing in the protocol says
 * so: it shows as connections ended moments after they were made, again and again (a refused
 * login never connects at all). Pure: fed the lengths of connections, it says what is wrong.
 */
export class TakeoverWatch {
  private ends: number[] = [];
  problem: string | null = null;

  constructor(private readonly clientId: string) {}

  /** A connection ended after `lastedS`, at `nowS`. */
  closed(lastedS: number, nowS: number): void {
    if (lastedS >= SHORT_S) return;
    this.ends = this.ends.filter((t) => t > nowS - WINDOW_S);
    this.ends.push(nowS);
    if (this.ends.length >= TIMES)
      this.problem = `the broker ends this connection moments after it is made (${this.ends.length} times in ${WINDOW_S / 60} minutes): another client uses the client id "${this.clientId}" — a second camkeep with the same mqtt.client_id? Give each box its own (or leave it unset)`;
  }

  /** The connection has lasted `connectedS` so far. */
  lasted(connectedS: number): void {
    if (connectedS < CLEAR_S) return;
    this.ends = [];
    this.problem = null;
  }
}
