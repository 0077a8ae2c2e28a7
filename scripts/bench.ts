// `npm run bench`: every benchmark of the repo, each printed as a table. Figures are only comparable within
// one run (each benchmark measures its own baseline beside it); the machine is shared and noisy.
import { runDappBench } from '../apps/dapp/bench/dapp.bench.ts';
import { runReconcileBench } from '../apps/dapp/bench/reconcile.bench.ts';
import { runCheckBench } from '../packages/check/bench/check.bench.ts';
import { runDrillBench } from '../packages/drill/bench/drill.bench.ts';
import { runImageBench } from '../packages/image/bench/image.bench.ts';

const only = process.argv.slice(2);
const suites: Array<[string, () => Promise<Array<Record<string, string | number>>>]> = [
  ['dapp: reads and transfers vs same-run baselines', runDappBench],
  ['dapp reconcile: 1x and 10x books vs a same-run baseline (SQL aggregates + hashing)', runReconcileBench],
  ['dalp check: objects per second and linearity', runCheckBench],
  ['dapp image: build time and size', runImageBench],
  ['drills: medians per scenario on the lab vs anchors and Patroni defaults', runDrillBench],
];
for (const [name, run] of suites) {
  if (only.length > 0 && !only.some((o) => name.includes(o))) continue;
  console.log(`\n${name}`);
  console.table(await run());
}
