import { allContainersOf } from '../../model/workload.ts';
import { fail, pass } from '../internal/result.ts';
import { EVERY_CLASS } from '../internal/workloads.ts';
import type { Rule } from '../rule.ts';

/** The tag of an image reference, ignoring a registry port (host:5000/app has no tag). */
function tagOf(image: string): string | undefined {
  const withoutDigest = image.split('@')[0] ?? '';
  const lastSegment = withoutDigest.slice(withoutDigest.lastIndexOf('/') + 1);
  const colon = lastSegment.lastIndexOf(':');
  return colon === -1 ? undefined : lastSegment.slice(colon + 1);
}

export const rule: Rule = {
  id: 'image-tag-pinned',
  categories: ['Security'],
  severity: 'error',
  title: 'Images are pinned to a tag or digest',
  why: 'An image without a tag, with :latest or with another tag that names a channel rather than a version (:stable, :alpine, :edge, :lts: any tag without a digit) changes under a running Deployment: a rescheduled replica after a node loss may start a different version than its siblings, and rollbacks cannot restore the previous one. Tags that carry only a major version (:16) move too, but are not reported.',
  fix: 'Reference a fixed version tag (image: repo:1.4.2) or a digest (repo@sha256:...).',
  appliesTo: EVERY_CLASS,
  check(ctx) {
    return ctx.workloadsOf(EVERY_CLASS).map((w) => {
      const problems: string[] = [];
      for (const c of allContainersOf(w.podSpec)) {
        const image = String(c?.image ?? '');
        if (image.includes('@sha256:')) continue;
        const tag = tagOf(image);
        if (!image) problems.push(`${c?.name ?? '?'}: no image`);
        else if (!tag) problems.push(`${c?.name}: ${image} has no tag`);
        else if (tag === 'latest') problems.push(`${c?.name}: ${image} uses :latest`);
        else if (!/\d/.test(tag)) problems.push(`${c?.name}: ${image} uses the floating tag :${tag}`);
      }
      return problems.length === 0 ? pass(w.ref) : fail(w.ref, problems.join('; '));
    });
  },
};
