// Runs the system tools the lab drives (ip, nft, sysctl...). Every command is
// recorded so `--print` can show a user exactly how to reproduce a lab by hand.
import { execFileSync, spawnSync } from 'node:child_process';
import { CannotRunError } from '../errors.js';

export interface ExecOptions {
  /** Text fed to the command's stdin (e.g. an nft script). */
  input?: string;
  /** Return the failure instead of throwing (for idempotent cleanup). */
  allowFail?: boolean;
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
    const shown = argv.map(shellQuote).join(' ');
    this.log.push(opts.input ? `${shown} <<'EOF'\n${opts.input.trimEnd()}\nEOF` : shown);
    if (this.dryRun) return { ok: true, stdout: '', stderr: '' };
    const [cmd, ...args] = argv;
    if (!cmd) throw new Error('empty command');
    const res = spawnSync(cmd, args, { input: opts.input, encoding: 'utf8', maxBuffer: 64 << 20 });
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
    execFileSync('sh', ['-c', `command -v ${shellQuote(cmd)}`], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}
