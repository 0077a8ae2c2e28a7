import { writeFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { formatMarkdown } from '@dalp/markdown';
import { CATEGORIES } from './model/categories.ts';
import { WORKLOAD_CLASSES } from './model/workload.ts';
import { RULES } from './score/registry.ts';
import type { Rule } from './score/rule.ts';

// Generates docs/checks.md from the rule modules, so the list can never drift from the code
// (test/integration/docs.test.ts fails when the committed file is stale). Regenerate with `npm run docs -w @dalp/check`.

export const CHECKS_DOC = new URL('../../../docs/checks.md', import.meta.url);

function needs(rule: Rule): string {
  if (rule.needsClusterState) return '`--dump` or `--cluster`';
  if (rule.needsControls) return '`--controls`';
  return 'any input';
}

const cell = (s: string) => s.replace(/\|/g, '\\|');

export function renderChecksDoc(): string {
  return formatMarkdown(renderUnformatted(), 'docs/checks.md');
}

/** The workload classes a rule judges, for the tables ("-" for rules about other objects). */
function appliesTo(rule: Rule): string {
  return rule.appliesTo ? rule.appliesTo.join(', ') : '-';
}

function classMatrix(): string[] {
  const out = [
    '## Which rule judges which workload',
    '',
    'Each workload (Deployment, StatefulSet, DaemonSet, ReplicaSet, Job, CronJob, bare Pod) is judged by the',
    'rules for its class:',
    '',
    '- **serving**: long-running, and a Service of the input that carries traffic selects its pods. A',
    '  Service whose every port is a metrics port (named `metrics`, `http-metrics`, `prometheus`...) or whose',
    '  name ends in `-metrics` only lets Prometheus scrape the pods and does not count.',
    '- **worker**: long-running, and no such Service selects it: controllers, queue consumers, load',
    '  generators. Nothing routes clients to it, so readiness, liveness, graceful-shutdown and replica-count',
    '  rules do not apply; placement, disruption budgets, resources and security do.',
    '- **job**: runs to completion: Jobs, CronJobs, bare Pods with `restartPolicy` `Never` or `OnFailure`.',
    '- **hook**: a Helm hook (`helm.sh/hook`, helm tests included) or an Argo CD hook',
    '  (`argocd.argoproj.io/hook`): it runs around an install or upgrade, not as part of the service.',
    '',
    'The class comes from the objects given: check a Deployment together with its Service, or it counts as',
    'a worker (kube-score draws the same line for probes). Rules about other objects (PDBs, HPAs, nodes,',
    'zones, alerts, evidence) are not listed.',
    '',
    `| rule | ${WORKLOAD_CLASSES.join(' | ')} |`,
    `| --- | ${WORKLOAD_CLASSES.map(() => '---').join(' | ')} |`,
  ];
  for (const r of RULES.filter((rule) => rule.appliesTo)) {
    out.push(
      `| [\`${r.id}\`](#${r.id}) | ${WORKLOAD_CLASSES.map((c) => (r.appliesTo?.includes(c) ? (r.onlyFor?.[c] ?? 'yes') : '')).join(' | ')} |`,
    );
  }
  out.push('');
  return out;
}

function renderUnformatted(): string {
  const out: string[] = [
    '# `dalp check` rules',
    '',
    '<!-- Generated from packages/check/src/score by `npm run docs -w @dalp/check`; do not edit by hand. -->',
    '',
    'Every rule serves one row of the "Production readiness checks" table of the cloud-native high',
    'availability document (plus Probes and lifecycle, Resources and Security, which the document asks for',
    'in its placement and health sections, and Input, which says what the check could not see). Each rule',
    'evaluates every object it applies to and reports a pass or one finding per object; `passed` in the',
    'summary counts the evaluations that raised no error or warning. A rule may report a finding at another',
    'severity than its default where the message says why (for example bundled data services are errors in',
    'the `production` profile and notes elsewhere).',
    '',
    `${RULES.length} rules. Inputs: rules marked \`--dump\` or \`--cluster\` need node and pod state; rules marked`,
    '`--controls` need the evidence file described in [controls.md](controls.md). Rules can be skipped',
    '(`--skip`) or an object exempted (`dalp.io/skip-checks` annotation): see [cli.md](cli.md#exemptions).',
    '',
    ...classMatrix(),
  ];
  const sections: Array<[string, Rule[]]> = CATEGORIES.map((category) => [
    category,
    RULES.filter((r) => r.categories[0] === category && !r.needsControls),
  ]);
  sections.push(['Evidence (each row of the table)', RULES.filter((r) => r.needsControls)]);
  for (const [title, rules] of sections) {
    if (rules.length === 0) continue;
    out.push(
      `## ${title}`,
      '',
      '| id | severity | needs | applies to | checks |',
      '| --- | --- | --- | --- | --- |',
    );
    for (const r of rules)
      out.push(
        `| [\`${r.id}\`](#${r.id}) | ${r.severity} | ${needs(r)} | ${appliesTo(r)} | ${cell(r.title)} |`,
      );
    out.push('');
    for (const r of rules) {
      const classes = r.appliesTo ? ` Applies to: ${appliesTo(r)}.` : '';
      out.push(
        `### ${r.id}`,
        '',
        `**${r.title}.** Row: ${r.categories.join(', ')}. Default severity: ${r.severity}. Needs: ${needs(r)}.${classes}`,
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
