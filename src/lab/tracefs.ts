// Lab nodes get tracefs, as a systemd host has it at /sys/kernel/tracing, so
// the prober can name the kernel's drop reasons (docs/kernel-drop-reasons.md).
// `ip netns exec` runs each command in a mount namespace of its own with a
// fresh /sys, so this mount is private to the command and ends with it: the
// machine's own mounts are never touched.

/** argv run with tracefs mounted at /sys/kernel/tracing (when it can be). */
export function withTracefs(argv: string[]): string[] {
  const script = '[ -d /sys/kernel/tracing/instances ] || mount -t tracefs nodev /sys/kernel/tracing 2>/dev/null; exec "$@"';
  return ['sh', '-c', script, 'vxprobe-lab', ...argv];
}
