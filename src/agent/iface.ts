// Which underlay NIC the agent probes through when --iface is not given. In a
// DaemonSet every node may name its NIC differently (eth0, ens5, enp0s3), so
// one manifest cannot hard-code it: the node's own address (the downward
// API's status.hostIP, as HOST_IP) names the NIC that holds it; without it,
// host facts pick the NIC as `inspect` does (default route, else the VXLAN
// device's underlay). docs/agent.md, "Flags".
import { CannotRunError, UsageError } from '../errors.js';
import { collectHostFacts } from '../host/facts.js';
import { readAddrs, readLinks } from '../host/netlink.js';
import { parseIpv4 } from '../wire/addr.js';

export async function resolveAgentIface(iface: string | undefined, hostIp: string | undefined): Promise<{ iface: string; chosenBy: string }> {
  if (iface !== undefined && iface !== '') {
    if (!readLinks().some((l) => l.name === iface)) throw new UsageError(`no such network interface "${iface.slice(0, 64)}" (see \`ip link\`)`);
    return { iface, chosenBy: '--iface' };
  }
  if (hostIp !== undefined && hostIp !== '') {
    try {
      parseIpv4(hostIp);
    } catch {
      throw new UsageError(`HOST_IP is "${hostIp.slice(0, 64)}", not an IPv4 address: set it from status.hostIP or pass --iface`);
    }
    const holder = readAddrs().find((a) => a.address === hostIp);
    const link = holder && readLinks().find((l) => l.ifindex === holder.ifindex);
    if (!link) throw new CannotRunError(`no interface of this host holds HOST_IP ${hostIp} (is the pod on hostNetwork?): pass --iface`);
    return { iface: link.name, chosenBy: `the NIC holding HOST_IP ${hostIp}` };
  }
  const facts = await collectHostFacts({});
  return { iface: facts.nic.name, chosenBy: `the ${facts.nic.chosenBy}` };
}
