import { type Rule, TABLE_ROWS } from '../types.ts';
import { controlledRows, evidenceRef } from './evidence.ts';
import { fail, pass } from './helpers.ts';

export const rule: Rule = {
  id: 'controls-owner',
  rows: TABLE_ROWS,
  severity: 'error',
  title: 'Every control has an owner',
  why: 'The document: before production traffic, confirm each control has an owner. An unowned control is one nobody keeps true after go-live.',
  fix: 'Name an owner (team or on-call rotation) for the row in the controls file.',
  needsControls: true,
  check(ctx) {
    return controlledRows(ctx).map((row) => {
      const controls = ctx.options.controls?.rows[row];
      if (!controls) return fail(evidenceRef(row), 'row missing from the controls file', { row });
      return controls.owner ? pass(evidenceRef(row)) : fail(evidenceRef(row), 'no owner', { row });
    });
  },
};
