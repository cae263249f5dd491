// Phase timings of a run, for the start-up benchmark (docs/performance.md):
// with VXPROBE_TIMINGS=1 each phase prints one line to stderr,
// "vxprobe timing: <phase> <ms since the process started>". Off by default
// and free then (one env lookup per process).
const enabled = process.env.VXPROBE_TIMINGS === '1';

export function markPhase(phase: string): void {
  if (!enabled) return;
  // performance.now() counts from the process's time origin, so this is
  // "CLI start to <phase>", Node's own start-up included.
  process.stderr.write(`vxprobe timing: ${phase} ${performance.now().toFixed(1)}\n`);
}
