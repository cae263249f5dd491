// The commander program: parse, call, print, exit. Each command lives in
// src/commands/ and registers itself; this file only wires them and maps
// errors to one line and an exit code (DESIGN.md §8).
import { Command, CommanderError } from 'commander';
import { registerLabCommand } from './commands/lab.js';
import { CannotRunError, UsageError, explainSystemError, isSystemError } from './errors.js';
import { registerInspect } from './commands/inspect.js';
import { registerSend } from './commands/send.js';
import { registerSniff } from './commands/sniff.js';
import { registerPair } from './commands/pair.js';

export function buildProgram(): Command {
  const program = new Command('vxprobe')
    .description('Raw-socket VXLAN prober for Kubernetes overlay networks')
    .version('0.1.0')
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride();
  registerInspect(program);
  registerLabCommand(program);
  registerSend(program);
  registerSniff(program);
  registerPair(program);
  return program;
}

function report(err: unknown): number {
  if (err instanceof CommanderError) {
    // Commander already printed its message; help/version exit 0.
    return err.exitCode === 0 ? 0 : 2;
  }
  if (err instanceof UsageError) {
    process.stderr.write(`vxprobe: ${err.message}\n`);
    return 2;
  }
  if (err instanceof CannotRunError) {
    process.stderr.write(`vxprobe: ${err.message}\n`);
    return 3;
  }
  if (isSystemError(err)) {
    process.stderr.write(`vxprobe: ${explainSystemError(err)}\n`);
    return 3;
  }
  const msg = err instanceof Error ? err.message : String(err);
  process.stderr.write(`vxprobe: ${msg}\n`);
  if (process.env.VXPROBE_DEBUG && err instanceof Error) process.stderr.write(`${err.stack}\n`);
  return 3;
}

export async function main(argv: string[]): Promise<void> {
  const program = buildProgram();
  try {
    await program.parseAsync(argv);
  } catch (err) {
    process.exitCode = report(err);
    return;
  }
  process.exitCode ??= 0;
}
