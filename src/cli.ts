// The commander program: parse, call, print, exit. Each command lives in
// src/commands/ and registers itself; this file only wires them and maps
// errors to one line and an exit code (docs/architecture.md, "Errors and exit codes").
import { Command, CommanderError } from 'commander';
import { CannotRunError, UsageError, explainSystemError, isSystemError } from './errors.js';
import { markPhase } from './timing.js';

type Register = (program: Command) => void;

// Each command's module pulls in its own machinery (the addon, the control
// channel, the lab), so only the invoked command's module is loaded: it keeps
// `vxprobe pair` and `vxprobe inspect` quick to start. `--help` loads them all.
const loaders: Record<string, () => Promise<Register>> = {
  pair: () => import('./commands/pair.js').then((m) => m.registerPair),
  inspect: () => import('./commands/inspect.js').then((m) => m.registerInspect),
  lab: () => import('./commands/lab.js').then((m) => m.registerLabCommand),
  send: () => import('./commands/send.js').then((m) => m.registerSend),
  sniff: () => import('./commands/sniff.js').then((m) => m.registerSniff),
  explain: () => import('./commands/explain.js').then((m) => m.registerExplain),
  agent: () => import('./commands/agent.js').then((m) => m.registerAgent),
};
const MODULE_OF: Record<string, string> = { listen: 'pair', compare: 'pair' };

export async function buildProgram(argv: string[] = []): Promise<Command> {
  const program = new Command('vxprobe')
    .description('Raw-socket VXLAN prober for Kubernetes overlay networks')
    .version('0.1.0')
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride();
  const name = argv[2] ?? '';
  const only = loaders[MODULE_OF[name] ?? name];
  for (const load of only ? [only] : Object.values(loaders)) (await load())(program);
  // Commands made with `new Command()` don't inherit these: without them a
  // missing option would exit 1 (the "fault found" code) straight from commander.
  const inherit = (cmd: Command): void => {
    for (const sub of cmd.commands) {
      sub.exitOverride().showHelpAfterError('(run with --help for usage)');
      inherit(sub);
    }
  };
  inherit(program);
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
  markPhase('cli-main');
  try {
    const program = await buildProgram(argv);
    markPhase('cli-loaded');
    await program.parseAsync(argv);
  } catch (err) {
    process.exitCode = report(err);
    return;
  }
  process.exitCode ??= 0;
}
