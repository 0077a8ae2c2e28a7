import { TABLE_CATEGORIES } from '../../model/categories.ts';
import { controlledCategories, evidenceRef } from '../internal/controls.ts';
import { fail, pass } from '../internal/result.ts';
import type { Rule } from '../rule.ts';

export const rule: Rule = {
  id: 'controls-alert',
  categories: TABLE_CATEGORIES,
  severity: 'error',
  title: 'Every control has an alert that exists',
  why: 'The document asks for an alert per control. Naming an alert that is not deployed (renamed, disabled in values) is the same as having none, so names are matched against the alert rules in the checked objects.',
  fix: 'List in the controls file alert names that exist in the deployed PrometheusRules, or add the missing alert rule.',
  needsControls: true,
  check(ctx) {
    const deployed = new Set(ctx.alerts.map((a) => a.name));
    return controlledCategories(ctx).map((category) => {
      const controls = ctx.options.controls?.categories[category];
      if (!controls) return fail(evidenceRef(category), 'row missing from the controls file', { category });
      if (controls.alerts.length === 0) return fail(evidenceRef(category), 'no alert named', { category });
      const present = controls.alerts.filter((a) => deployed.has(a));
      if (present.length > 0) return pass(evidenceRef(category));
      return fail(
        evidenceRef(category),
        `none of the named alerts exists in the checked objects: ${controls.alerts.join(', ')}`,
        { category },
      );
    });
  },
};
