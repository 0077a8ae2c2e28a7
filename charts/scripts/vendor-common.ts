// Copies the library chart charts/common into the charts that use it, unpacked under their charts/dalp-common:
//   node --import tsx charts/scripts/vendor-common.ts
// Why copies: helm loads a chart's dependencies only from its own charts/ folder, and does not build
// nested ones. As a file:// dependency, the library would need `helm dependency build` of dalp and of
// support before every render of them, and before the wrappers' own build (which packages dalp and support
// as they are). Vendored like the support subcharts, every chart renders straight from a clone, as before.
// charts/tests/unit/common-library.test.ts fails when a copy differs from charts/common.
import { cpSync, rmSync } from 'node:fs';
import { join } from 'node:path';

export const chartsDir = new URL('..', import.meta.url).pathname;
export const LIBRARY = join(chartsDir, 'common');
/** The charts that vendor the library, and where. */
export const LIBRARY_COPIES = ['dalp', 'support'].map((chart) =>
  join(chartsDir, chart, 'charts', 'dalp-common'),
);

if (process.argv[1] === new URL(import.meta.url).pathname) {
  for (const copy of LIBRARY_COPIES) {
    rmSync(copy, { recursive: true, force: true });
    cpSync(LIBRARY, copy, { recursive: true });
    console.log(copy.slice(chartsDir.length - 'charts/'.length));
  }
}
