import { SCENARIOS } from '../src/lab/scenarios.js';
import { buildLab } from '../src/lab/lab.js';
import { pairInLab } from '../src/lab/pair-probe.js';
import { compareVerdicts } from '../src/lab/run.js';
const only = process.argv.slice(2);
for (const sc of SCENARIOS) {
  if (only.length && !only.includes(sc.name)) continue;
  if (sc.topology === 'mesh') continue;
  const lab = buildLab(sc);
  try {
    const r = await pairInLab(lab);
    const mism = compareVerdicts(sc.expected.expectedVerdicts, r.results);
    console.log(`${sc.name}: ${r.durationMs}ms ${mism.length ? 'MISMATCH ' + mism.join('; ') : 'ok'}`);
    if (mism.length) for (const x of r.results) console.log(`   ${x.port} ${x.direction} ${x.verdict}: ${x.reason}`);
  } catch (e) { console.log(`${sc.name}: ERROR ${(e as Error).message}`); }
  finally { lab.down(); }
}
