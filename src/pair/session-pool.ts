// Control sessions kept open between pairings with the same listener: an
// agent pairs with each peer once an interval, and a kept session saves the
// TCP, TLS and proof handshakes on both sides of every round
// (docs/agent.md, "Budgets"). A session carries one run at a time (`finish`
// ends it on the listener), so a kept session is only ever idle here.
//
// The listener decides how long a session lives: it ends one idle for its
// idle timeout (60 s by default), one older than its longest session
// (10 min), and one superseded by a newer session from the same address.
// A kept session that ended is dropped, and the next pairing connects afresh.
import type { ControlClient } from './control/client.js';
import { ControlError, RemoteCallError } from './control/errors.js';
import type { MethodMap } from './control/rpc.js';
import type { PairMethods } from './messages.js';
import type { WatchFacts } from './watch-initiator.js';

type Client = ControlClient<PairMethods>;

export class SessionPool {
  private readonly idle = new Map<string, Client>();
  private readonly watched = new WeakSet<Client>();
  /** Both sides' facts from the last run on a session (full or watch): what its next watch round starts from. */
  private readonly facts = new WeakMap<Client, WatchFacts>();
  private closed = false;

  /** Takes the kept, still open session to `key` (host:port) out of the pool; null when there is none. */
  take(key: string): Client | null {
    const client = this.idle.get(key);
    if (!client) return null;
    this.idle.delete(key);
    return client.isOpen ? client : null;
  }

  /**
   * Keeps `client` for the next pairing with `key`, with both sides' facts
   * from the last run on it when given; closes it instead once the pool
   * is closed.
   */
  keep(key: string, client: Client, facts?: WatchFacts): void {
    if (this.closed || !client.isOpen) {
      client.close();
      return;
    }
    if (facts) this.facts.set(client, facts);
    const previous = this.idle.get(key);
    if (previous && previous !== client) previous.close();
    this.idle.set(key, client);
    if (this.watched.has(client)) return;
    this.watched.add(client);
    void client.closed.then(() => {
      if (this.idle.get(key) === client) this.idle.delete(key);
    });
  }

  /** The facts of the last run on `client`, if it had one. */
  factsOf(client: Client): WatchFacts | undefined {
    return this.facts.get(client);
  }

  /** Sessions kept right now. */
  get size(): number {
    return this.idle.size;
  }

  /** Closes every kept session; later keep() calls close theirs. */
  close(): void {
    this.closed = true;
    for (const client of this.idle.values()) client.close();
    this.idle.clear();
  }
}

/**
 * Makes the first call of a run. On a kept session the listener may have
 * ended just now (idle timeout, its longest session, a newer session from
 * this address, room for another peer) before we heard of it: then the call
 * fails with a ControlError, and it is made once more on a fresh connection.
 * An answer from the listener (a RemoteCallError: rate limit, busy) is final.
 * A fresh connection whose call fails is closed here.
 */
export async function firstCall<M extends MethodMap, T>(
  client: ControlClient<M>,
  kept: boolean,
  call: (c: ControlClient<M>) => Promise<T>,
  reconnect: () => Promise<ControlClient<M>>,
): Promise<{ client: ControlClient<M>; result: T }> {
  try {
    return { client, result: await call(client) };
  } catch (err) {
    if (!kept || !(err instanceof ControlError) || err instanceof RemoteCallError) throw err;
    client.close();
  }
  const fresh = await reconnect();
  try {
    return { client: fresh, result: await call(fresh) };
  } catch (err) {
    fresh.close();
    throw err;
  }
}

