import { readFileSync, writeFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { formatMarkdown } from '@dalp/markdown';
import { ERROR_CODES } from '../src/errors.ts';

// Generates the error table of docs/api.md from the catalog in src/errors.ts, as docs/checks.md is generated
// from the rules: the table can never drift from the code (test/unit/errors.test.ts fails when the
// committed page is stale). Regenerate with `npm run docs -w @dalp/dapp`.

export const API_DOC = new URL('../../../docs/api.md', import.meta.url);
const BEGIN =
  '<!-- The table below is generated from apps/dapp/src/errors.ts by `npm run docs -w @dalp/dapp`. -->';
const END = '<!-- End of the generated error table. -->';

const cell = (s: string) => s.replace(/\|/g, '\\|');

export function errorTable(): string[] {
  const rows = [...ERROR_CODES].sort((a, b) => a.status - b.status);
  return [
    '| status | code | when |',
    '| --- | --- | --- |',
    ...rows.map((e) => `| ${e.status} | \`${e.code}\` | ${cell(e.when)} |`),
  ];
}

/** docs/api.md with its error table regenerated. */
export function renderApiDoc(current = readFileSync(API_DOC, 'utf8')): string {
  const begin = current.indexOf(BEGIN);
  const end = current.indexOf(END);
  if (begin < 0 || end < begin) throw new Error(`docs/api.md lacks the markers of its generated error table`);
  const text = `${current.slice(0, begin)}${[BEGIN, '', ...errorTable(), '', ''].join('\n')}${current.slice(end)}`;
  return formatMarkdown(text, 'docs/api.md');
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  writeFileSync(API_DOC, renderApiDoc());
  console.log(`wrote ${API_DOC.pathname}`);
}
