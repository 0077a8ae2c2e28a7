import { relative } from 'node:path';
import { fail, pass } from '../internal/result.ts';
import type { Rule } from '../rule.ts';

export const rule: Rule = {
  id: 'render-complete',
  categories: ['Input'],
  severity: 'warning',
  title: 'The chart rendered every enabled dependency',
  why: 'helm template leaves out an enabled dependency that is not vendored when it sits below the top chart, without a word; a check of that render would pass objects it never saw (an ingress controller, a database). dalp check walks every nested Chart.yaml and stops with an input error (exit 2) naming each missing chart, unless --allow-missing-dependencies is given: then each one is this finding, so the report says which parts were not checked.',
  fix: 'Vendor the dependency with helm dependency update in the chart that declares it (or run dalp check --dependency-update where the repositories are reachable), or disable it in the values if it is not deployed.',
  check(ctx) {
    const render = ctx.options.render;
    if (!render) return [];
    if (render.unrendered.length === 0) return [pass({ kind: 'Chart', name: render.chart })];
    return render.unrendered.map((m) => {
      const source = [m.version, m.repository && `from ${m.repository}`].filter(Boolean).join(' ');
      const condition = m.condition ? `, enabled by ${m.condition}` : '';
      return fail(
        { kind: 'Chart', name: m.chart },
        `not rendered, so none of its objects were checked: ${m.name}${source ? ` ${source}` : ''} is not vendored in ${relative(process.cwd(), m.declaredIn) || '.'}${condition}`,
      );
    });
  },
};
