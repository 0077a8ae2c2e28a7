import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { RULES } from './rules/index.ts';
import { ROWS, type Rule } from './types.ts';

// Generates docs/checks.md from the rule modules, so the list can never drift from the code
// (test/docs.test.ts fails when the committed file is stale). Regenerate with `npm run docs -w @dalp/check`.

export const CHECKS_DOC = new URL('../../../docs/checks.md', import.meta.url);

function needs(rule: Rule): string {
  if (rule.needsClusterState) return '`--dump` or `--cluster`';
  if (rule.needsControls) return '`--controls`';
  return 'any input';
}

const cell = (s: string) => s.replace(/\|/g, '\\|');

/**
 * Biome is the repository's formatter and it formats Markdown (aligned tables); the generated page goes
 * through it so that `npm run lint` and the staleness test agree on one byte-exact text.
 */
function formatMarkdown(text: string): string {
  const require = createRequire(import.meta.url);
  const biome = join(dirname(require.resolve('@biomejs/biome/package.json')), 'bin', 'biome');
  const result = spawnSync(process.execPath, [biome, 'format', '--stdin-file-path=docs/checks.md'], {
    input: text,
    encoding: 'utf8',
    cwd: new URL('../../../', import.meta.url).pathname,
  });
  if (result.status !== 0) throw new Error(`biome format failed: ${result.stderr.split('\n')[0]}`);
  return result.stdout;
}

export function renderChecksDoc(): string {
  return formatMarkdown(renderUnformatted());
}

function renderUnformatted(): string {
  const out: string[] = [
    '# `dalp check` rules',
    '',
    '<!-- Generated from packages/check/src/rules by `npm run docs -w @dalp/check`; do not edit by hand. -->',
    '',
    'Every rule serves one row of the "Production readiness checks" table of the cloud-native high',
    'availability document (plus Probes and lifecycle, Resources and Security, which the document asks for',
    'in its placement and health sections). Each rule evaluates every object it applies to and reports a',
    'pass or one finding per object; `passed` in the summary counts the evaluations that raised no error or',
    'warning. A rule may report a finding at another severity than its default where the message says why',
    '(for example bundled data services are errors in the `production` profile and notes elsewhere).',
    '',
    `${RULES.length} rules. Inputs: rules marked \`--dump\` or \`--cluster\` need node and pod state; rules marked`,
    '`--controls` need the evidence file described in [controls.md](controls.md). Rules can be skipped',
    '(`--skip`) or an object exempted (`dalp.io/skip-checks` annotation): see [cli.md](cli.md#exemptions).',
    '',
  ];
  const sections: Array<[string, Rule[]]> = ROWS.map((row) => [
    row,
    RULES.filter((r) => r.rows[0] === row && !r.needsControls),
  ]);
  sections.push(['Evidence (each row of the table)', RULES.filter((r) => r.needsControls)]);
  for (const [title, rules] of sections) {
    if (rules.length === 0) continue;
    out.push(`## ${title}`, '', '| id | severity | needs | checks |', '| --- | --- | --- | --- |');
    for (const r of rules)
      out.push(`| [\`${r.id}\`](#${r.id}) | ${r.severity} | ${needs(r)} | ${cell(r.title)} |`);
    out.push('');
    for (const r of rules) {
      out.push(
        `### ${r.id}`,
        '',
        `**${r.title}.** Row: ${r.rows.join(', ')}. Default severity: ${r.severity}. Needs: ${needs(r)}.`,
        '',
      );
      out.push(`Why: ${r.why}`, '', `Fix: ${r.fix}`, '');
    }
  }
  return out.join('\n');
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  writeFileSync(CHECKS_DOC, renderChecksDoc());
  console.log(`wrote ${CHECKS_DOC.pathname}`);
}
