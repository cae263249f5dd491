// The shared secret of a pairing: from a file or the environment, never from a
// command-line value (argv is visible to every user through /proc/PID/cmdline).
// See docs/threat-model.md, "The secret".
import { closeSync, constants, fstatSync, openSync, readSync } from 'node:fs';
import { UsageError } from '../errors.js';

export const MIN_SECRET_BYTES = 16;
export const MAX_SECRET_BYTES = 4096;
export const SECRET_ENV = 'VXPROBE_SECRET';
/**
 * The floor of the character-frequency estimate below. Runs, sequences and
 * repeats are refused by shape (estimate 0) whatever this is; the frequency
 * bar only catches strings of few distinct characters. It must never refuse a
 * random secret: the estimate of 16 random hex characters (the shortest
 * allowed) fell below 40 bits for 1 in 640 of a million samples, below 32
 * for 3, and never below 28.
 */
export const MIN_SECRET_BITS = 24;
const GENERATE = '`head -c 32 /dev/urandom | base64`';

export interface LoadSecretOptions {
  /** Path from `--secret-file`; wins over the environment when both are set. */
  secretFile?: string;
  /** Defaults to process.env. The secret is removed from it once read, so no child process inherits it. */
  env?: NodeJS.ProcessEnv;
  /** The uid a secret file must belong to (default 0, root; tests pass their own). */
  ownerUid?: number;
}

const NO_SECRET = `no secret: pass --secret-file FILE or set ${SECRET_ENV} (the same on both nodes)`;

/** One trailing newline ("\n" or "\r\n"), as editors and `echo` add it, is not part of the secret. */
function trimTrailingNewline(bytes: Buffer): Buffer {
  let end = bytes.length;
  if (end > 0 && bytes[end - 1] === 0x0a) end--;
  if (end > 0 && bytes[end - 1] === 0x0d) end--;
  return bytes.subarray(0, end);
}

/**
 * Opens once, then checks and reads that same descriptor (no stat-then-read
 * race): fstat sees exactly the file we read, O_NONBLOCK keeps a FIFO from
 * blocking us. Symlinks are followed on purpose: a Kubernetes Secret volume
 * is always one (secret -> ..data/secret -> ..<timestamp>/secret), and the
 * owner and mode that matter are those of the file read, which fstat checks.
 */
function readSecretFile(path: string, ownerUid: number): Buffer {
  let fd: number;
  try {
    fd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK | constants.O_NOCTTY);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? 'error';
    throw new UsageError(`cannot read secret file ${path} (${code})`);
  }
  try {
    const st = fstatSync(fd);
    if (!st.isFile()) throw new UsageError(`secret file ${path} is not a regular file`);
    if (st.uid !== ownerUid) {
      throw new UsageError(`secret file ${path} is owned by uid ${st.uid}, not ${ownerUid === 0 ? 'root' : `uid ${ownerUid}`}: whoever owns it can choose the secret; chown root it`);
    }
    if ((st.mode & 0o077) !== 0) {
      throw new UsageError(
        `secret file ${path} is readable or writable by group or others (mode ${(st.mode & 0o777).toString(8)}): chmod 600 it (in Kubernetes: defaultMode: 0400)`,
      );
    }
    if (st.size > MAX_SECRET_BYTES + 2) throw new UsageError(`secret file ${path} is larger than ${MAX_SECRET_BYTES} bytes: is it the right file?`);
    const buf = Buffer.alloc(MAX_SECRET_BYTES + 3);
    let len = 0;
    for (;;) {
      const n = readSync(fd, buf, len, buf.length - len, null);
      if (n === 0) break;
      len += n;
      if (len >= buf.length) throw new UsageError(`secret file ${path} is larger than ${MAX_SECRET_BYTES} bytes: is it the right file?`);
    }
    return buf.subarray(0, len);
  } catch (err) {
    if (err instanceof UsageError) throw err;
    const code = (err as NodeJS.ErrnoException).code ?? 'error';
    throw new UsageError(`cannot read secret file ${path} (${code})`);
  } finally {
    closeSync(fd);
  }
}

/**
 * A rough lower bound of the secret's entropy in bits: its length times the
 * Shannon entropy of its byte frequencies, and 0 for a constant step
 * ("aaaa…", "abcd…") or a short unit repeated ("passwordpassword",
 * "0123456789012345"). Random base64/hex of 16+ characters passes; a word, a
 * run or a pattern does not.
 */
export function estimateSecretBits(secret: Buffer): number {
  if (secret.length < 2) return 0;
  for (let period = 1; period <= Math.floor((secret.length * 2) / 3); period++) {
    let repeats = true;
    for (let i = period; i < secret.length && repeats; i++) repeats = secret[i] === secret[i - period];
    if (repeats) return 0;
  }
  const step = secret[1]! - secret[0]!;
  let constantStep = true;
  for (let i = 2; i < secret.length && constantStep; i++) constantStep = secret[i]! - secret[i - 1]! === step;
  if (constantStep) return 0;
  const counts = new Map<number, number>();
  for (const b of secret) counts.set(b, (counts.get(b) ?? 0) + 1);
  let perByte = 0;
  for (const c of counts.values()) {
    const p = c / secret.length;
    perByte -= p * Math.log2(p);
  }
  return perByte * secret.length;
}

/**
 * Loads the shared secret. Throws UsageError when there is none, it is too
 * short or too guessable, or the file is unsafe or unreadable. Never includes
 * the secret in any message.
 */
export function loadSecret(opts: LoadSecretOptions = {}): Buffer {
  const env = opts.env ?? process.env;
  let raw: Buffer;
  let source: string;
  if (opts.secretFile !== undefined && opts.secretFile !== '') {
    raw = readSecretFile(opts.secretFile, opts.ownerUid ?? 0);
    source = `secret file ${opts.secretFile}`;
  } else {
    const value = env[SECRET_ENV];
    if (value === undefined || value === '') throw new UsageError(NO_SECRET);
    raw = Buffer.from(value, 'utf8');
    source = SECRET_ENV;
  }
  // Read once; no child process (nft, iptables-save, ...) inherits it from here on.
  delete env[SECRET_ENV];
  const secret = trimTrailingNewline(raw);
  if (secret.length === 0) throw new UsageError(`${NO_SECRET}; ${source} is empty`);
  if (secret.length < MIN_SECRET_BYTES) {
    throw new UsageError(`secret from ${source} is ${secret.length} bytes; use at least ${MIN_SECRET_BYTES} (e.g. ${GENERATE})`);
  }
  if (secret.length > MAX_SECRET_BYTES) throw new UsageError(`secret from ${source} is longer than ${MAX_SECRET_BYTES} bytes`);
  if (estimateSecretBits(secret) < MIN_SECRET_BITS) {
    throw new UsageError(`secret from ${source} is too easy to guess (repeated or patterned characters); use a random one, e.g. ${GENERATE}`);
  }
  return Buffer.from(secret);
}
