// `vxprobe lab`: list, up, down and run the fault-lab scenarios (docs/architecture.md, "The lab").
import type { Command } from 'commander';
import { UsageError } from '../errors.js';
import { Shell } from '../lab/exec.js';
import { buildLab, labNodesDocument, type Lab } from '../lab/lab.js';
import { NETNS_PREFIX, listOurNetns, removeOurNetns } from '../lab/netns.js';
import { labPreflight } from '../lab/preflight.js';
import { formatExpectedVerdicts, formatTruth, runScenario } from '../lab/run.js';
import { pairLabProbe } from '../lab/pair-probe.js';
import { renderTable } from '../report/table.js';
import { SCENARIOS, getScenario } from '../lab/scenarios.js';

interface UpOptions {
  port?: string;
  vni?: string;
  print?: boolean;
  json?: boolean;
}

function intOption(value: string | undefined, name: string): number | undefined {
  if (value === undefined) return undefined;
  if (!/^\d+$/.test(value)) throw new UsageError(`bad --${name} "${value}": expected a number`);
  return Number(value);
}

function out(text: string): void {
  process.stdout.write(`${text}\n`);
}

/** --print: build against a dry-run shell and show the commands, numbered by nothing: paste-able. */
function printCommands(scenario: string, opts: UpOptions): void {
  const shell = new Shell(true);
  const lab = buildLab(scenario, { shell, tag: 'demo', port: intOption(opts.port, 'port'), vni: intOption(opts.vni, 'vni') });
  out(`# vxprobe lab ${lab.scenario.name}: ${lab.scenario.description}`);
  out(`# faults: ${lab.faults.map((f) => f.name).join('; ') || 'none'}`);
  out(shell.log.join('\n'));
}

function describeLab(lab: Lab): string {
  const lines = [
    `lab ${lab.tag} up: ${lab.scenario.name} - ${lab.scenario.description}`,
    `faults: ${lab.faults.map((f) => f.name).join('; ') || 'none'}`,
    '',
    `node  namespace            eth0                VTEP flannel.${lab.vni} udp/${lab.port}        pod`,
  ];
  for (const n of lab.nodes) {
    lines.push(
      `${n.name.padEnd(4)}  ${n.netns.name.padEnd(19)}  ${`${n.ip}/${n.subnetPrefix}`.padEnd(18)}  ${`${n.vtepIp} ${n.vtepMac}`.padEnd(29)}  ${n.podIp} (${n.pod.name})`,
    );
  }
  if (lab.router) lines.push(`router: ${lab.router.name}`);
  if (lab.hypervisor) lines.push(`hypervisor: ${lab.hypervisor.name} (bridge br0)`);
  lines.push('', `enter a node:  ip netns exec ${lab.nodes[0]?.netns.name} bash`, `tear down:     vxprobe lab down ${lab.tag}`);
  return lines.join('\n');
}

function tagsUp(): string[] {
  const tags = listOurNetns().map((n) => n.slice(NETNS_PREFIX.length).split('-')[0] ?? '');
  return [...new Set(tags)].filter(Boolean);
}

export function registerLabCommand(program: Command): void {
  const lab = program.command('lab').description('Flannel-faithful clusters in network namespaces with known overlay faults');

  lab
    .command('list')
    .description('list the scenarios')
    .action(() => {
      const w = Math.max(...SCENARIOS.map((s) => s.name.length));
      for (const s of SCENARIOS) out(`${s.name.padEnd(w)}  ${s.topology.padEnd(6)}  ${s.description}`);
    });

  lab
    .command('up <scenario>')
    .description('build a scenario and leave it up until `lab down`')
    .option('--port <n>', 'UDP port of the lab flannel (default 8472, or the scenario\'s)')
    .option('--vni <n>', 'VXLAN VNI (default 1)')
    .option('--print', 'print the shell commands instead of running them')
    .option('--json', 'print the lab (tag, namespaces, kubectl-style node list) as JSON')
    .action((scenario: string, opts: UpOptions) => {
      getScenario(scenario);
      if (opts.print) return printCommands(scenario, opts);
      labPreflight();
      const l = buildLab(scenario, { port: intOption(opts.port, 'port'), vni: intOption(opts.vni, 'vni') });
      l.detach();
      if (opts.json) {
        out(JSON.stringify({ tag: l.tag, scenario: l.scenario.name, namespaces: l.namespaces.map((n) => n.name), nodes: labNodesDocument(l) }, null, 2));
      } else out(describeLab(l));
    });

  lab
    .command('down [tag]')
    .description('remove a lab (the only one up when no tag is given)')
    .option('--all', `remove every ${NETNS_PREFIX}* namespace, including leftovers of crashed runs`)
    .action((tag: string | undefined, opts: { all?: boolean }) => {
      if (tag !== undefined && !/^[a-z0-9]{1,8}$/.test(tag)) throw new UsageError(`bad lab tag "${tag}"`);
      labPreflight();
      const shell = new Shell();
      let target = tag;
      if (!opts.all && target === undefined) {
        const tags = tagsUp();
        if (tags.length === 0) return out('no lab is up');
        if (tags.length > 1) throw new UsageError(`several labs are up (${tags.join(', ')}): name one, or use --all`);
        target = tags[0];
      }
      const removed = removeOurNetns(shell, opts.all ? undefined : target);
      out(removed.length ? `removed ${removed.join(' ')}` : `no namespaces for lab ${target}`);
    });

  lab
    .command('run <scenario>')
    .description('build a scenario, show the kernel\'s own overlay truth (and the prober\'s verdicts), tear down')
    .option('--port <n>', 'UDP port of the lab flannel')
    .option('--vni <n>', 'VXLAN VNI')
    .option('--print', 'print the shell commands instead of running them')
    .option('--json', 'print the run as JSON')
    .action(async (scenario: string, opts: UpOptions) => {
      getScenario(scenario);
      if (opts.print) return printCommands(scenario, opts);
      labPreflight();
      const l = buildLab(scenario, { port: intOption(opts.port, 'port'), vni: intOption(opts.vni, 'vni') });
      try {
        const run = await runScenario(l, pairLabProbe);
        if (opts.json) {
          out(JSON.stringify({ ...run, expected: l.scenario.expected }, null, 2));
        } else {
          out(`${l.scenario.name}: ${l.scenario.description} (lab ${l.tag})`);
          out(`faults: ${l.faults.map((f) => f.name).join('; ') || 'none'}\n`);
          out(formatTruth(run.truth, l.port));
          out(run.truthMismatches.length ? `\nthe kernel disagrees with the scenario:\n  ${run.truthMismatches.join('\n  ')}` : '\nkernel truth matches the scenario: the fault is real');
          if (run.report) out(`\n$ vxprobe pair ${run.report.nodes.peer.ip}   (in node a; node b runs vxprobe listen)\n${renderTable(run.report, { color: process.stdout.isTTY })}`);
          out(formatExpectedVerdicts(l.scenario.expected.expectedVerdicts));
          out(run.verdictMismatches.length ? `prober disagrees:\n  ${run.verdictMismatches.join('\n  ')}` : 'the prober\'s verdicts match the scenario');
        }
        process.exitCode = run.truthMismatches.length || run.verdictMismatches.length ? 1 : 0;
      } finally {
        l.down();
      }
    });
}
