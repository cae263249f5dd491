// "Without privileges" for the lab tests: the same root user with CAP_NET_RAW
// taken out of the bounding, inheritable and ambient sets, so the exec'd
// program (and anything it execs) can never hold it again. Keeping uid 0
// rather than switching to nobody means the test still reads the checkout
// wherever it lives (a 0700 clone under /root included), and what fails is
// exactly the raw socket, not module loading.
export const WITHOUT_NET_RAW = ['setpriv', '--bounding-set=-net_raw', '--inh-caps=-net_raw', '--ambient-caps=-net_raw', '--'];

/** `argv` prefixed so it runs without CAP_NET_RAW (setpriv from util-linux). */
export function withoutNetRaw(argv: string[]): string[] {
  return [...WITHOUT_NET_RAW, ...argv];
}
