// What `vxprobe lab` needs before it touches anything: root and the tools it
// drives. One clear line naming what is missing and how to install it.
import { CannotRunError } from '../errors.js';
import { haveTool, missingToolMessage } from './exec.js';

export const LAB_TOOLS = ['ip', 'bridge', 'nft', 'iptables', 'sysctl', 'ping'] as const;

export function labPreflight(): void {
  if (process.getuid?.() !== 0) {
    throw new CannotRunError('vxprobe lab needs root (it creates network namespaces): run it with sudo');
  }
  const missing = LAB_TOOLS.filter((t) => !haveTool(t));
  if (missing.length > 0) {
    throw new CannotRunError(missing.map((t) => missingToolMessage(t)).join('; '));
  }
}
