import { appendFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  buildImage,
  cleanCheckout,
  containerToolsUnavailable,
  dockerfileNodeImage,
  ensureStandInBase,
  imageLayers,
  layersAbove,
  removeImage,
} from '../src/index.ts';

// The dapp image: how long a build takes and what it weighs. Builds run from a clean checkout on the
// stand-in base (built first if missing, and reported then). "From scratch" reuses no layer of an earlier
// build, only npm's download cache (the Dockerfile's cache mount), as a CI runner with a warm cache would;
// "after a source change" is the everyday rebuild: one source file changed, the dependency layers reused.
// The baseline of each ratio is measured in the same run: the from-scratch build for rebuild time, the
// base image for size. Goal: the layers the Dockerfile adds stay under 60 MB.
const BUILDS = Number(process.env.BENCH_IMAGE_BUILDS ?? 2);
const DOCKERFILE = 'apps/dapp/Dockerfile';
const MB = 1e6;
const repoRoot = new URL('../../..', import.meta.url).pathname;

type Row = Record<string, string | number>;

const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
};
const round = (value: number, digits = 1) => Number(value.toFixed(digits));

export async function runImageBench(): Promise<Row[]> {
  const unavailable = containerToolsUnavailable();
  if (unavailable) return [{ measure: 'skipped', value: unavailable }];
  const progress = (line: string) => process.stderr.write(`image bench: ${line}\n`);
  const base = await ensureStandInBase(dockerfileNodeImage(join(repoRoot, DOCKERFILE)), progress);
  const checkout = await cleanCheckout(repoRoot);
  const tag = `localhost/dalp-bench/dapp:${process.pid}`;
  const build = async (layers: boolean) =>
    (
      await buildImage({
        context: checkout.dir,
        dockerfile: DOCKERFILE,
        tag,
        buildArgs: { NODE_IMAGE: base.tag },
        layers,
      })
    ).seconds;
  const scratch: number[] = [];
  const rebuild: number[] = [];
  try {
    for (let i = 0; i < BUILDS; i++) {
      progress(`build ${i + 1}/${BUILDS} from scratch`);
      scratch.push(await build(false));
    }
    // Prime the layer cache once, then change a source file before each measured rebuild.
    await build(true);
    for (let i = 0; i < BUILDS; i++) {
      appendFileSync(join(checkout.dir, 'apps/dapp/src/main.ts'), `// bench rebuild ${i}\n`);
      progress(`rebuild ${i + 1}/${BUILDS} after a source change`);
      rebuild.push(await build(true));
    }
    const baseBytes = (await imageLayers(base.tag)).reduce((sum, l) => sum + l.uncompressedBytes, 0);
    const app = await layersAbove(tag, base.tag);
    const appBytes = app.reduce((sum, l) => sum + l.uncompressedBytes, 0);
    const appCompressed = app.reduce((sum, l) => sum + l.compressedBytes, 0);
    const scratchMedian = median(scratch);
    const row = (
      measure: string,
      value: number,
      runs = 1,
      baseline = '',
      ratio: number | string = '',
    ): Row => ({
      measure,
      median: round(value),
      runs,
      baseline,
      ratio: typeof ratio === 'number' ? round(ratio, 2) : ratio,
    });
    const rows: Row[] = [
      row('build from scratch (s)', scratchMedian, scratch.length),
      row(
        'rebuild after a source change (s)',
        median(rebuild),
        rebuild.length,
        'from scratch',
        median(rebuild) / scratchMedian,
      ),
      row(`base ${base.tag.split('/').at(-1)} (MB)`, baseBytes / MB),
      row('layers the Dockerfile adds (MB, goal < 60)', appBytes / MB, 1, 'base', appBytes / baseBytes),
      row('those layers gzip-compressed (MB)', appCompressed / MB),
      row('whole image (MB)', (baseBytes + appBytes) / MB),
    ];
    if (base.built) rows.push(row('stand-in base built first (s)', base.seconds));
    return rows;
  } finally {
    await removeImage(tag);
    checkout.dispose();
  }
}
