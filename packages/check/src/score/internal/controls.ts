import { type Category, TABLE_CATEGORIES } from '../../model/categories.ts';
import type { ObjectRef } from '../../model/objects.ts';
import type { CheckContext } from '../context.ts';

/** Evidence findings name the table row they are about. */
export function evidenceRef(category: Category): ObjectRef {
  return { kind: 'Control', name: category };
}

export function controlledCategories(ctx: CheckContext): Category[] {
  return ctx.options.controls ? [...TABLE_CATEGORIES] : [];
}
