// A hand-rolled control-channel peer for abuse tests. It re-implements the wire
// format from its documentation (src/pair/control/channel.ts) with node:crypto
// alone, so the tests check the documented protocol rather than our own
// helpers, and it can send anything: valid, replayed, tampered or garbage lines.
import { createHmac, hkdfSync, randomBytes } from 'node:crypto';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { PROTOCOL_VERSION } from '../../src/pair/control/auth.js';
import { connect as tlsConnect, createSecureContext, TLSSocket, type TLSSocketOptions } from 'node:tls';

// The transport as documented in src/pair/control/tls.ts: TLS 1.2,
// ECDHE-PSK-CHACHA20-POLY1305, PSK = HKDF-SHA256(secret, salt, info), identity.
const TLS = { ciphers: 'ECDHE-PSK-CHACHA20-POLY1305', minVersion: 'TLSv1.2', maxVersion: 'TLSv1.2' } as const;
export const PSK_IDENTITY = 'vxprobe-control-v2';
export function pskFor(secret: Buffer): Buffer {
  return Buffer.from(hkdfSync('sha256', secret, 'vxprobe control channel', 'tls-psk v2', 32));
}

function hmac(key: Buffer, ...parts: (string | Buffer)[]): Buffer {
  const h = createHmac('sha256', key);
  for (const p of parts) h.update(p);
  return h.digest();
}

export function proofFor(secret: Buffer, role: 'client' | 'server', nc: Buffer, ns: Buffer): string {
  return hmac(secret, `vxprobe-v${PROTOCOL_VERSION} ${role}-proof\0`, nc, ns).toString('hex');
}

/** A line-oriented socket with a queue of received lines and a close notification. */
export class LinePeer {
  readonly lines: string[] = [];
  private waiters: ((line: string | undefined) => void)[] = [];
  private buf = '';
  closed = false;
  readonly closedPromise: Promise<void>;
  key: Buffer | undefined;
  sendSeq = 0;
  private direction: 'c2s' | 's2c';

  constructor(readonly socket: Socket, role: 'client' | 'server') {
    this.direction = role === 'client' ? 'c2s' : 's2c';
    socket.setEncoding('latin1');
    socket.on('data', (chunk: string) => {
      this.buf += chunk;
      let nl: number;
      while ((nl = this.buf.indexOf('\n')) >= 0) {
        const line = Buffer.from(this.buf.slice(0, nl), 'latin1').toString('utf8');
        this.buf = this.buf.slice(nl + 1);
        const w = this.waiters.shift();
        if (w) w(line);
        else this.lines.push(line);
      }
    });
    socket.on('error', () => {});
    this.closedPromise = new Promise((resolve) =>
      socket.on('close', () => {
        this.closed = true;
        for (const w of this.waiters.splice(0)) w(undefined);
        resolve();
      }),
    );
  }

  /**
   * Connects over TLS-PSK keyed from `secret` (the real transport), or over
   * plain TCP with `secret: null` (what a scanner without the secret does).
   * `localAddress` picks the source (any 127.x.y.z on Linux loopback).
   */
  static connect(port: number, secret: Buffer | null, localAddress?: string): Promise<LinePeer> {
    return new Promise((resolve, reject) => {
      if (secret === null) {
        const socket = connect({ host: '127.0.0.1', port, localAddress });
        socket.once('connect', () => resolve(new LinePeer(socket, 'client')));
        socket.once('error', reject);
        return;
      }
      const psk = pskFor(secret);
      const socket = tlsConnect({ host: '127.0.0.1', port, ...TLS, checkServerIdentity: () => undefined, pskCallback: () => ({ psk, identity: PSK_IDENTITY }) });
      socket.once('secureConnect', () => resolve(new LinePeer(socket, 'client')));
      socket.once('error', reject);
    });
  }

  /** Next line, or undefined when the connection closed first. */
  readLine(timeoutMs = 3000): Promise<string | undefined> {
    const line = this.lines.shift();
    if (line !== undefined) return Promise.resolve(line);
    if (this.closed) return Promise.resolve(undefined);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('test peer: no line within timeout')), timeoutMs);
      this.waiters.push((l) => {
        clearTimeout(timer);
        resolve(l);
      });
    });
  }

  async readJson(timeoutMs = 3000): Promise<Record<string, unknown> | undefined> {
    const line = await this.readLine(timeoutMs);
    return line === undefined ? undefined : (JSON.parse(line) as Record<string, unknown>);
  }

  /** The next session message's {seq, type, body}, unwrapped from its sealed line (not verified). */
  async readMessage(timeoutMs = 3000): Promise<Record<string, unknown> | undefined> {
    const line = await this.readJson(timeoutMs);
    return line && 'msg' in line ? (line.msg as Record<string, unknown>) : line;
  }

  sendRaw(data: string | Buffer): void {
    this.socket.write(data);
  }

  sendJson(value: unknown): void {
    this.socket.write(`${JSON.stringify(value)}\n`);
  }

  /** A valid session line (the caller may alter it before sending). */
  seal(type: string, body: unknown, seq = this.sendSeq + 1): string {
    if (!this.key) throw new Error('test peer: no session key yet');
    return this.sealText(JSON.stringify({ seq, type, body }));
  }

  /** A session line around any message text, MAC'd as documented (for malformed messages). */
  sealText(text: string, direction = this.direction): string {
    if (!this.key) throw new Error('test peer: no session key yet');
    const mac = hmac(this.key, `${direction}\0`, text).toString('hex');
    return `{"mac":"${mac}","msg":${text}}\n`;
  }

  /** Seals and sends the next message in sequence. */
  send(type: string, body: unknown): string {
    const line = this.seal(type, body);
    this.sendSeq += 1;
    this.socket.write(line);
    return line;
  }

  /**
   * Client handshake by hand with `secret`. Returns the server's last handshake
   * message (welcome or reject); on welcome the session key is set.
   */
  async clientHandshake(secret: Buffer): Promise<Record<string, unknown> | undefined> {
    const nc = randomBytes(32);
    this.sendJson({ type: 'hello', v: PROTOCOL_VERSION, nonce: nc.toString('hex') });
    const challenge = await this.readJson();
    if (!challenge || challenge.type !== 'challenge') return challenge;
    const ns = Buffer.from(challenge.nonce as string, 'hex');
    this.sendJson({ type: 'proof', mac: proofFor(secret, 'client', nc, ns) });
    const answer = await this.readJson();
    if (answer?.type === 'welcome' && answer.mac === proofFor(secret, 'server', nc, ns)) {
      this.key = hmac(secret, 'vxprobe-session', nc, ns);
    }
    return answer;
  }

  /** Server handshake by hand (for client-side abuse tests). */
  async serverHandshake(secret: Buffer): Promise<void> {
    const hello = await this.readJson();
    if (!hello) throw new Error('test server: no hello');
    const nc = Buffer.from(hello.nonce as string, 'hex');
    const ns = randomBytes(32);
    this.sendJson({ type: 'challenge', v: PROTOCOL_VERSION, nonce: ns.toString('hex') });
    const proof = await this.readJson();
    if (!proof) throw new Error('test server: no proof');
    this.sendJson({ type: 'welcome', mac: proofFor(secret, 'server', nc, ns) });
    this.key = hmac(secret, 'vxprobe-session', nc, ns);
  }

  close(): void {
    this.socket.destroy();
  }
}

/** A raw server on 127.0.0.1 handing each connection to `onPeer`: TLS-PSK keyed from `secret`, or plain TCP with null. */
export async function rawServer(onPeer: (peer: LinePeer) => void, secret: Buffer | null): Promise<{ server: Server; port: number }> {
  const server = createServer((socket) => {
    if (secret === null) {
      onPeer(new LinePeer(socket, 'server'));
      return;
    }
    const psk = pskFor(secret);
    const options = { isServer: true, secureContext: createSecureContext(TLS), pskCallback: (_s: unknown, id: string) => (id === PSK_IDENTITY ? psk : null) } as TLSSocketOptions;
    const tls = new TLSSocket(socket, options);
    tls.on('error', () => tls.destroy());
    tls.once('secure', () => onPeer(new LinePeer(tls, 'server')));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (typeof address !== 'object' || address === null) throw new Error('no address');
  return { server, port: address.port };
}
