// `vxprobe inspect`: one node's VTEP tables and host settings checked
// against the cluster's truth, without sending a packet. The modules are
// loaded when the command runs, so other commands do not pay for them.
import type { Command } from 'commander';
import type { InspectReport } from '../inspect/format.js';
import type { InspectOptions } from '../inspect/run.js';

/** Library entry: inspect this host (live kernel facts unless `factsFile`). */
export async function inspect(opts: InspectOptions = {}): Promise<InspectReport> {
  const [{ runInspect }, { collectHostFacts }] = await Promise.all([import('../inspect/run.js'), import('../host/facts.js')]);
  return runInspect(opts, (o) => collectHostFacts(o));
}

interface InspectFlags {
  iface?: string;
  nodes?: string;
  etcd?: string;
  etcdPrefix?: string;
  etcdCacert?: string;
  etcdCert?: string;
  etcdKey?: string;
  node?: string;
  facts?: string;
  json?: boolean;
}

export function registerInspect(program: Command): void {
  program
    .command('inspect')
    .description("check this node's VXLAN device, VTEP tables and host settings against the cluster's flannel or Calico VXLAN data")
    .option('--iface <IF>', "underlay NIC carrying VXLAN (flannel's --iface)")
    .option(
      '--nodes <FILE|->',
      '`kubectl get nodes -o json` output (file, or - for stdin); Calico VXLAN: the same (Calico\'s projectcalico.org/ tunnel annotations are read) or `calicoctl get nodes -o json`',
    )
    .option('--etcd <URL>', "flannel's etcd (e.g. http://127.0.0.1:2379): subnet leases and network config; without flannel data there, Calico's etcd datastore (its Node resources)")
    .option('--etcd-prefix <PREFIX>', "flannel's --etcd-prefix", '/coreos.com/network')
    .option('--etcd-cacert <FILE>', "CA bundle that signs etcd's server certificate (etcdctl's --cacert)")
    .option('--etcd-cert <FILE>', "client certificate for an etcd that requires one (etcdctl's --cert)")
    .option('--etcd-key <FILE>', "the client certificate's private key (etcdctl's --key)")
    .option('--node <NAME>', 'which node this host is, when not recognised by address or VtepMAC')
    .option('--facts <FILE>', 'check recorded HostFacts JSON instead of this kernel')
    .option('--json', 'print {"node", "findings": [...]} as JSON')
    .action(async (flags: InspectFlags) => {
      const report = await inspect({
        ...(flags.iface !== undefined ? { iface: flags.iface } : {}),
        ...(flags.nodes !== undefined ? { nodes: flags.nodes } : {}),
        ...(flags.etcd !== undefined ? { etcd: flags.etcd, etcdPrefix: flags.etcdPrefix } : {}),
        ...(flags.etcdCacert !== undefined || flags.etcdCert !== undefined || flags.etcdKey !== undefined
          ? {
              etcdTls: {
                ...(flags.etcdCacert !== undefined ? { cacert: flags.etcdCacert } : {}),
                ...(flags.etcdCert !== undefined ? { cert: flags.etcdCert } : {}),
                ...(flags.etcdKey !== undefined ? { key: flags.etcdKey } : {}),
              },
            }
          : {}),
        ...(flags.node !== undefined ? { node: flags.node } : {}),
        ...(flags.facts !== undefined ? { factsFile: flags.facts } : {}),
      });
      const { formatReport, reportJson } = await import('../inspect/format.js');
      process.stdout.write(flags.json ? reportJson(report) : formatReport(report));
      process.exitCode = report.findings.some((f) => f.severity === 'error') ? 1 : 0;
    });
}
