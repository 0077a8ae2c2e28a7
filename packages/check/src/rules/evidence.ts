import type { CheckContext } from '../context.ts';
import { type ObjectRef, type Row, TABLE_ROWS } from '../types.ts';

export function evidenceRef(row: Row): ObjectRef {
  return { kind: 'Control', name: row };
}

export function controlledRows(ctx: CheckContext): Row[] {
  return ctx.options.controls ? [...TABLE_ROWS] : [];
}
