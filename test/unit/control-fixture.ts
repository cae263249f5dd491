// A control server with a side-effect counter: `probe` stands for the reverse
// probes pairing sends inside handlers, so `effects` staying empty proves no
// probe would have been sent.
import { ControlServer, implement, s, type ControlLimits, type SessionEnd, type Session } from '../../src/pair/control/index.js';

export const SECRET = Buffer.from('correct horse battery staple 42');
export const OTHER_SECRET = Buffer.from('a different secret of enough length');

export const methods = {
  probe: {
    params: s.object({ port: s.int({ min: 1, max: 65535 }), note: s.optional(s.string({ max: 20 })) }),
    result: s.object({ sentTo: s.string({ max: 64 }), port: s.int({ min: 1, max: 65535 }) }),
  },
  fail: { params: s.object({ message: s.string({ max: 200 }) }), result: s.empty },
  slow: { params: s.object({ ms: s.int({ min: 0, max: 10_000 }) }), result: s.empty },
  big: { params: s.object({ bytes: s.int({ min: 0, max: 1_000_000 }) }), result: s.object({ data: s.string({ max: 1_000_000 }) }) },
};

export interface Fixture {
  server: ControlServer;
  port: number;
  effects: { method: string; peer: string }[];
  ends: SessionEnd[];
  sessions: Session[];
  /** Resolves with the next SessionEnd report. */
  nextEnd(): Promise<SessionEnd>;
}

export async function startServer(
  opts: { once?: boolean; limits?: Partial<ControlLimits>; onReject?: (source: string, reason: string) => void } = {},
): Promise<Fixture> {
  const effects: Fixture['effects'] = [];
  const ends: SessionEnd[] = [];
  const sessions: Session[] = [];
  let endWaiters: ((e: SessionEnd) => void)[] = [];
  const handlers = implement(methods, {
    probe: async ({ port }, session) => {
      effects.push({ method: 'probe', peer: session.peerAddress });
      return { sentTo: session.peerAddress, port };
    },
    fail: async ({ message }) => {
      effects.push({ method: 'fail', peer: '' });
      throw new Error(message);
    },
    slow: async ({ ms }, session) => {
      effects.push({ method: 'slow', peer: session.peerAddress });
      await new Promise((resolve) => setTimeout(resolve, ms));
      return {};
    },
    big: async ({ bytes }) => ({ data: 'b'.repeat(bytes) }),
  });
  const server = await ControlServer.listen({
    port: 0,
    host: '127.0.0.1',
    secret: SECRET,
    handlers,
    once: opts.once,
    limits: { handshakeTimeoutMs: 1500, idleTimeoutMs: 1500, ...opts.limits },
    onSession: (session) => sessions.push(session),
    onReject: opts.onReject,
    onSessionEnd: (end) => {
      ends.push(end);
      const waiters = endWaiters;
      endWaiters = [];
      for (const w of waiters) w(end);
    },
  });
  return {
    server,
    port: server.port,
    effects,
    ends,
    sessions,
    nextEnd: () => new Promise((resolve) => endWaiters.push(resolve)),
  };
}
