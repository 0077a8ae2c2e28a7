import type { CheckReport } from '../report.ts';
import { objectLabel } from './common.ts';

const xml = (s: string) =>
  s
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&apos;');

/**
 * One test suite per rule, one test case per (rule, object). Errors and warnings are <failure>s (type =
 * severity) so CI marks them; notes pass with the note in system-out. Totals are in the root properties.
 * Hand-written: the format is a dozen lines of XML and the JUnit builders on npm add nothing but weight.
 */
export function renderJunit(report: CheckReport): string {
  const suites = new Map<string, CheckReport['results']>();
  for (const r of report.results) {
    const list = suites.get(r.rule) ?? [];
    list.push(r);
    suites.set(r.rule, list);
  }
  const failures = report.summary.errors + report.summary.warnings;
  const out = [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<testsuites name="dalp check" tests="${report.results.length}" failures="${failures}" errors="0">`,
    '  <properties>',
    `    <property name="errors" value="${report.summary.errors}"/>`,
    `    <property name="warnings" value="${report.summary.warnings}"/>`,
    `    <property name="passed" value="${report.summary.passed}"/>`,
    '  </properties>',
  ];
  for (const [rule, results] of suites) {
    const failed = results.filter((r) => r.finding && r.finding.severity !== 'info').length;
    out.push(`  <testsuite name="${xml(rule)}" tests="${results.length}" failures="${failed}" errors="0">`);
    for (const r of results) {
      const name = xml(`${rule} ${objectLabel(r.object)}`);
      const attrs = `name="${name}" classname="${xml(`${r.category}.${rule}`)}"`;
      const f = r.finding;
      if (!f) {
        out.push(`    <testcase ${attrs}/>`);
      } else if (f.severity === 'info') {
        out.push(`    <testcase ${attrs}><system-out>${xml(f.message)}</system-out></testcase>`);
      } else {
        out.push(
          `    <testcase ${attrs}><failure type="${f.severity}" message="${xml(f.message)}">${xml(`fix: ${f.fix}`)}</failure></testcase>`,
        );
      }
    }
    out.push('  </testsuite>');
  }
  out.push('</testsuites>', '');
  return out.join('\n');
}
