import { type Rule, TABLE_ROWS } from '../types.ts';
import { controlledRows, evidenceRef } from './evidence.ts';
import { fail, pass } from './helpers.ts';

export const rule: Rule = {
  id: 'controls-alert',
  rows: TABLE_ROWS,
  severity: 'error',
  title: 'Every control has an alert that exists',
  why: 'The document asks for an alert per control. Naming an alert that is not deployed (renamed, disabled in values) is the same as having none, so names are matched against the alert rules in the checked objects.',
  fix: 'List in the controls file alert names that exist in the deployed PrometheusRules, or add the missing alert rule.',
  needsControls: true,
  check(ctx) {
    const deployed = new Set(ctx.alerts.map((a) => a.name));
    return controlledRows(ctx).map((row) => {
      const controls = ctx.options.controls?.rows[row];
      if (!controls) return fail(evidenceRef(row), 'row missing from the controls file', { row });
      if (controls.alerts.length === 0) return fail(evidenceRef(row), 'no alert named', { row });
      const present = controls.alerts.filter((a) => deployed.has(a));
      if (present.length > 0) return pass(evidenceRef(row));
      return fail(
        evidenceRef(row),
        `none of the named alerts exists in the checked objects: ${controls.alerts.join(', ')}`,
        { row },
      );
    });
  },
};
