// The concrete change for each non-ok verdict: what to edit, where, with the
// real values (ports, addresses, devices) filled in.
import type { PortHolder } from '../host/types.js';
import { flannelPortChange, portHolderRemedy, publicIpRemedy } from '../overlay/port-holders.js';
import { overlayMtuFor } from '../overlay/vtep.js';
import type { MappingProblem } from './vtep-tables.js';

interface Base {
  port: number;
  sender: string;
  receiver: string;
  senderIp: string;
  receiverIp: string;
  /** The receiver's own node name when `receiver` is a display label ("vm (10.0.0.2)"). */
  receiverNode?: string;
  /** Probed ports that are ok in both directions (filled in after classifying). */
  portsOk?: number[];
}

export type RemedyContext = Base &
  (
    | { kind: 'unreachable' }
    | { kind: 'filtered'; rejectingHop: string | null; passingPorts: number[] }
    | { kind: 'hijacked'; lostVnis: number[] }
    | { kind: 'port-conflict'; holders: PortHolder[] }
    | { kind: 'mtu'; largestOk: number | null; nicMtu: number }
    | { kind: 'vtep-mapping'; problems: MappingProblem[] }
    /** `fixes`: the rule layer's remedies for what was found on the receiver (src/overlay/host-path.ts). */
    | { kind: 'host-drop'; fixes: string[]; nic: string }
  );


function movePort(ctx: Base): string {
  const alt = (ctx.portsOk ?? []).find((p) => p !== ctx.port);
  return alt !== undefined
    ? `udp/${alt} works both ways: ${flannelPortChange(alt)}`
    : `or move the overlay to a port that passes (probe candidates with --ports ${ctx.port},8475,4789)`;
}

export function remedyFor(ctx: RemedyContext): string {
  const way = `from ${ctx.sender} (${ctx.senderIp}) to ${ctx.receiver} (${ctx.receiverIp})`;
  switch (ctx.kind) {
    case 'unreachable':
      return `allow UDP ${way} in the security groups/NACLs/firewalls between the nodes, and check that ${ctx.receiverIp} really is ${ctx.receiver}'s address on this network`;
    case 'filtered': {
      const where = ctx.rejectingHop ? `remove the rule on ${ctx.rejectingHop} that rejects it, or ` : '';
      return `${where}open udp/${ctx.port} ${way} in the security group/firewall (both directions); ${movePort(ctx)}`;
    }
    case 'hijacked':
      return `something on the path consumes VXLAN on udp/${ctx.port} (a hypervisor overlay such as Sangfor aCloud or VMware NSX uses it): ${movePort(ctx)}; or have the platform exempt the node network`;
    case 'port-conflict': {
      const parts = ctx.holders.map((h) => portHolderRemedy(h, ctx.port));
      return `on ${ctx.receiver}: ${parts.join('; ')}; then restart flannel there (or ${flannelPortChange(8475)})`;
    }
    case 'mtu': {
      const limit = ctx.largestOk ?? ctx.nicMtu;
      return `the path ${way} drops packets larger than about ${limit} bytes without ICMP fragmentation-needed: fix the hop's MTU, or set the nodes' underlay MTU to ${limit} so flannel.1 gets ${overlayMtuFor(limit)}`;
    }
    case 'vtep-mapping': {
      const fixes = ctx.problems.filter((p) => p.fix).map((p) => `${p.fix}`);
      const cause = ctx.problems.some((p) => p.kind === 'fdb-dst' || p.kind === 'fdb-missing')
        ? `${ctx.receiver}'s flannel public-ip must be ${ctx.receiverIp}: ${publicIpRemedy(ctx.receiverNode ?? ctx.receiver, ctx.receiverIp)}`
        : ctx.problems.some((p) => p.kind === 'vni-mismatch')
          ? 'use one VNI on every node (net-conf.json "Backend": {"VNI": N})'
          : `check ${ctx.receiver}'s flannel.alpha.coreos.com/backend-data VtepMAC and restart flannel on ${ctx.sender} so it reprograms its neighbor/FDB entries`;
      return fixes.length > 0 ? `${cause}; to repair ${ctx.sender} now: ${fixes.join('; ')}` : cause;
    }
    case 'host-drop': {
      if (ctx.fixes.length > 0) return `on ${ctx.receiver}: ${ctx.fixes.join('; ')}`;
      return `on ${ctx.receiver}, allow udp/${ctx.port} from ${ctx.senderIp} in the host firewall (firewalld, security agents); look for drops with nft list ruleset, iptables -S and the kernel's drop reasons (perf trace -e skb:kfree_skb)`;
    }
  }
}
