// Regenerates the values tables of the chart READMEs from the `## @param` annotations in values.yaml:
//   node --import tsx charts/scripts/generate-readmes.ts
import { writeFileSync } from 'node:fs';
import { chartNames, chartReadmePath, expectedReadme } from './readmes.ts';

for (const chart of chartNames) {
  writeFileSync(chartReadmePath(chart), expectedReadme(chart));
  console.log(`charts/${chart}/README.md`);
}
