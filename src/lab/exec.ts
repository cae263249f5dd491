// Runs the system tools the lab drives (ip, nft, sysctl...). Every command is
// recorded so `--print` can show a user exactly how to reproduce a lab by hand.
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { childEnv } from '../host/child-env.js';
import { CannotRunError } from '../errors.js';

export interface ExecOptions {
  /** Text fed to the command's stdin (e.g. an nft script). */
  input?: string;
  /** Return the failure instead of throwing (for idempotent cleanup). */
  allowFail?: boolean;
  /** Leave it out of the log: polling and observation, not lab construction. */
  quiet?: boolean;
}

export interface ExecResult {
  ok: boolean;
  stdout: string;
  stderr: string;
}

/** Quotes one argument for display as a shell command. */
export function shellQuote(arg: string): string {
  return /^[A-Za-z0-9_./:=@%+,-]+$/.test(arg) ? arg : `'${arg.replace(/'/g, `'\\''`)}'`;
}

export class Shell {
  readonly log: string[] = [];
  /** When true, commands are only recorded, never run (for `--print`). */
  constructor(readonly dryRun = false) {}

  run(argv: string[], opts: ExecOptions = {}): ExecResult {
    const shown = this.record(argv, opts);
    if (this.dryRun) return { ok: true, stdout: '', stderr: '' };
    const [cmd, ...args] = argv;
    if (!cmd) throw new Error('empty command');
    const res = spawnSync(cmd, args, { input: opts.input, encoding: 'utf8', maxBuffer: 64 << 20, env: childEnv() });
    if (res.error) {
      const code = (res.error as NodeJS.ErrnoException).code;
      if (code === 'ENOENT') throw new CannotRunError(missingToolMessage(cmd));
      if (opts.allowFail) return { ok: false, stdout: '', stderr: String(res.error.message) };
      throw new CannotRunError(`${shown}: ${res.error.message}`);
    }
    const result = { ok: res.status === 0, stdout: res.stdout ?? '', stderr: res.stderr ?? '' };
    if (!result.ok && !opts.allowFail) {
      throw new CannotRunError(`\`${shown}\` failed: ${result.stderr.trim() || `exit ${res.status}`}`);
    }
    return result;
  }

  /** Like run(), without blocking the event loop (for observations run side by side). */
  runAsync(argv: string[], opts: ExecOptions & { timeoutMs?: number } = {}): Promise<ExecResult> {
    const shown = this.record(argv, opts);
    if (this.dryRun) return Promise.resolve({ ok: true, stdout: '', stderr: '' });
    const [cmd, ...args] = argv;
    if (!cmd) return Promise.reject(new Error('empty command'));
    return new Promise((resolve, reject) => {
      const child = spawn(cmd, args, { stdio: ['pipe', 'pipe', 'pipe'], timeout: opts.timeoutMs, env: childEnv() });
      let stdout = '';
      let stderr = '';
      child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
      child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
      child.on('error', (err: NodeJS.ErrnoException) => {
        reject(err.code === 'ENOENT' ? new CannotRunError(missingToolMessage(cmd)) : err);
      });
      child.on('close', (code) => {
        const result = { ok: code === 0, stdout, stderr };
        if (!result.ok && !opts.allowFail) {
          reject(new CannotRunError(`\`${shown}\` failed: ${stderr.trim() || `exit ${code}`}`));
        } else resolve(result);
      });
      child.stdin.on('error', () => undefined); // a command that never reads its stdin
      child.stdin.end(opts.input ?? '');
    });
  }

  /** Adds a line to the log without running anything (a background program). */
  note(line: string): void {
    this.log.push(line);
  }

  private record(argv: string[], opts: ExecOptions): string {
    const shown = argv.map(shellQuote).join(' ');
    if (!opts.quiet) this.log.push(opts.input ? `${shown} <<'EOF'\n${opts.input.trimEnd()}\nEOF` : shown);
    return shown;
  }
}

const PACKAGE_OF: Record<string, string> = {
  ip: 'iproute2',
  bridge: 'iproute2',
  nft: 'nftables',
  iptables: 'iptables',
  tcpdump: 'tcpdump',
  tshark: 'tshark',
  sysctl: 'procps',
  ethtool: 'ethtool',
  nc: 'netcat-openbsd',
  ping: 'iputils-ping',
};

export function missingToolMessage(cmd: string): string {
  const pkg = PACKAGE_OF[cmd];
  return `\`${cmd}\` not found${pkg ? `: install it with \`apt-get install ${pkg}\`` : ''}`;
}

/** True when the tool can be found on PATH. */
export function haveTool(cmd: string): boolean {
  try {
    execFileSync('sh', ['-c', `command -v ${shellQuote(cmd)}`], { stdio: 'ignore', env: childEnv() });
    return true;
  } catch {
    return false;
  }
}
