import { TABLE_CATEGORIES } from '../../model/categories.ts';
import { controlledCategories, evidenceRef } from '../internal/controls.ts';
import { fail, pass } from '../internal/result.ts';
import type { Rule } from '../rule.ts';

const DAY_MS = 24 * 60 * 60 * 1000;

export const rule: Rule = {
  id: 'controls-recovery-test',
  categories: TABLE_CATEGORIES,
  severity: 'error',
  title: 'Every control has a recent passing recovery test',
  why: 'The document asks for a recovery test per control and for restore procedures tested before production traffic. A test older than the bound (default 90 days) no longer says much about today’s versions, sizes and runbooks.',
  fix: 'Run the row’s recovery drill and record its date and result, or the path of its evidence file, under the row’s recoveryTests.',
  needsControls: true,
  check(ctx) {
    const maxAge = ctx.options.maxTestAgeDays;
    const now = ctx.options.now.getTime();
    return controlledCategories(ctx).map((category) => {
      const controls = ctx.options.controls?.categories[category];
      if (!controls) return fail(evidenceRef(category), 'row missing from the controls file', { category });
      if (controls.recoveryTests.length === 0)
        return fail(evidenceRef(category), 'no recovery test recorded', { category });
      const good = controls.recoveryTests.filter(
        (t) =>
          !t.problem &&
          t.result === 'pass' &&
          t.date &&
          now - t.date.getTime() <= maxAge * DAY_MS &&
          t.date.getTime() <= now + DAY_MS,
      );
      if (good.length > 0) return pass(evidenceRef(category));
      const notes = controls.recoveryTests.map((t) => {
        if (t.problem) return `${t.name}: ${t.problem}`;
        if (t.result !== 'pass') return `${t.name}: result ${t.result ?? 'missing'}`;
        if (!t.date) return `${t.name}: no date`;
        const age = Math.floor((now - t.date.getTime()) / DAY_MS);
        return age < 0 ? `${t.name}: dated in the future` : `${t.name}: ${age} days old (bound ${maxAge})`;
      });
      return fail(
        evidenceRef(category),
        `no passing recovery test within ${maxAge} days (${notes.join('; ')})`,
        {
          category,
        },
      );
    });
  },
};
