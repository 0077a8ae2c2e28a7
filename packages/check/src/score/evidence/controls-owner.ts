import { TABLE_CATEGORIES } from '../../model/categories.ts';
import { controlledCategories, evidenceRef } from '../internal/controls.ts';
import { fail, pass } from '../internal/result.ts';
import type { Rule } from '../rule.ts';

export const rule: Rule = {
  id: 'controls-owner',
  categories: TABLE_CATEGORIES,
  severity: 'error',
  title: 'Every control has an owner',
  why: 'The document: before production traffic, confirm each control has an owner. An unowned control is one nobody keeps true after go-live.',
  fix: 'Name an owner (team or on-call rotation) for the row in the controls file.',
  needsControls: true,
  check(ctx) {
    return controlledCategories(ctx).map((category) => {
      const controls = ctx.options.controls?.categories[category];
      if (!controls) return fail(evidenceRef(category), 'row missing from the controls file', { category });
      return controls.owner
        ? pass(evidenceRef(category))
        : fail(evidenceRef(category), 'no owner', { category });
    });
  },
};
