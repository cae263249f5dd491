// The shared secret of a pairing: from a file or the environment, never from a
// command-line value (argv is visible to every user through /proc/PID/cmdline).
import { readFileSync, statSync } from 'node:fs';
import { UsageError } from '../errors.js';

export const MIN_SECRET_BYTES = 16;
export const MAX_SECRET_BYTES = 4096;
export const SECRET_ENV = 'VXPROBE_SECRET';

export interface LoadSecretOptions {
  /** Path from `--secret-file`; wins over the environment when both are set. */
  secretFile?: string;
  /** Defaults to process.env. */
  env?: NodeJS.ProcessEnv;
  /** Where warnings go (a secret file readable by group/others); defaults to stderr. */
  warn?: (message: string) => void;
}

const NO_SECRET = `no secret: pass --secret-file FILE or set ${SECRET_ENV} (the same on both nodes)`;

/** One trailing newline ("\n" or "\r\n"), as editors and `echo` add it, is not part of the secret. */
function trimTrailingNewline(bytes: Buffer): Buffer {
  let end = bytes.length;
  if (end > 0 && bytes[end - 1] === 0x0a) end--;
  if (end > 0 && bytes[end - 1] === 0x0d) end--;
  return bytes.subarray(0, end);
}

function readSecretFile(path: string, warn: (message: string) => void): Buffer {
  let mode: number;
  let size: number;
  try {
    const st = statSync(path);
    if (!st.isFile()) throw new UsageError(`secret file ${path} is not a regular file`);
    mode = st.mode;
    size = st.size;
  } catch (err) {
    if (err instanceof UsageError) throw err;
    const code = (err as NodeJS.ErrnoException).code ?? 'error';
    throw new UsageError(`cannot read secret file ${path} (${code})`);
  }
  if (size > MAX_SECRET_BYTES + 2) throw new UsageError(`secret file ${path} is larger than ${MAX_SECRET_BYTES} bytes: is it the right file?`);
  if ((mode & 0o077) !== 0) {
    // A warning, not a refusal: secrets mounted from Kubernetes Secrets or
    // ConfigMaps are often 0644 inside a root-only container.
    warn(`warning: secret file ${path} is readable by group or others (mode ${(mode & 0o777).toString(8)}); chmod 600 it`);
  }
  try {
    return readFileSync(path);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? 'error';
    throw new UsageError(`cannot read secret file ${path} (${code})`);
  }
}

/**
 * Loads the shared secret. Throws UsageError when there is none, it is shorter
 * than MIN_SECRET_BYTES, or the file cannot be read. Never includes the secret
 * in any message.
 */
export function loadSecret(opts: LoadSecretOptions = {}): Buffer {
  const env = opts.env ?? process.env;
  const warn = opts.warn ?? ((m: string) => process.stderr.write(`vxprobe: ${m}\n`));
  let raw: Buffer;
  let source: string;
  if (opts.secretFile !== undefined && opts.secretFile !== '') {
    raw = readSecretFile(opts.secretFile, warn);
    source = `secret file ${opts.secretFile}`;
  } else {
    const value = env[SECRET_ENV];
    if (value === undefined || value === '') throw new UsageError(NO_SECRET);
    raw = Buffer.from(value, 'utf8');
    source = SECRET_ENV;
  }
  const secret = trimTrailingNewline(raw);
  if (secret.length === 0) throw new UsageError(`${NO_SECRET}; ${source} is empty`);
  if (secret.length < MIN_SECRET_BYTES) {
    throw new UsageError(
      `secret from ${source} is ${secret.length} bytes; use at least ${MIN_SECRET_BYTES} (e.g. \`head -c 32 /dev/urandom | base64\`)`,
    );
  }
  if (secret.length > MAX_SECRET_BYTES) throw new UsageError(`secret from ${source} is longer than ${MAX_SECRET_BYTES} bytes`);
  return Buffer.from(secret);
}
