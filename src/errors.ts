// Error kinds that map to the CLI's exit codes (docs/architecture.md, "Errors and exit codes"):
// 2 bad usage or input, 3 could not run (permissions, missing tools, peer unreachable).

export class UsageError extends Error {
  readonly exitCode = 2;
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

export class CannotRunError extends Error {
  readonly exitCode = 3;
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'CannotRunError';
  }
}

/** A system error thrown by the addon or Node: has code/errno/syscall. */
export interface SystemErrorLike extends Error {
  code?: string;
  errno?: number;
  syscall?: string;
}

export function isSystemError(err: unknown): err is SystemErrorLike {
  return err instanceof Error && typeof (err as SystemErrorLike).code === 'string';
}

/**
 * Turns a system error into one line a user can act on. `what` names the
 * object involved (an interface, a file) so ENODEV can say which one.
 */
export function explainSystemError(err: SystemErrorLike, what?: string): string {
  switch (err.code) {
    case 'EPERM':
    case 'EACCES':
      return `${err.syscall ?? 'operation'} not permitted: vxprobe needs root or CAP_NET_RAW/CAP_NET_ADMIN`;
    case 'ENODEV':
    case 'ENXIO':
      return `no such network interface${what ? ` "${what}"` : ''} (see \`ip link\`)`;
    case 'ENETUNREACH':
    case 'EHOSTUNREACH':
      return `no route to ${what ?? 'the destination'}`;
    case 'ENOADDON':
      return err.message;
    default:
      return err.message;
  }
}

/** Exit code for any error reaching the CLI's top level. */
export function exitCodeOf(err: unknown): number {
  if (err instanceof UsageError) return 2;
  return 3;
}
