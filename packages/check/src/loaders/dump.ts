import { readFileSync } from 'node:fs';
import { InputError } from '../errors.ts';
import { type LoadedObjects, parseManifests } from './manifests.ts';

/**
 * A cluster dump as `kubectl get nodes,pods,deployments,... -A -o json` writes it: one List (or several
 * concatenated, or YAML). Nodes must be in it: without them the cluster rules have nothing to judge.
 */
export function loadDump(file: string, readStdin: () => string): LoadedObjects {
  let text: string;
  try {
    text = file === '-' ? readStdin() : readFileSync(file, 'utf8');
  } catch {
    throw new InputError(`${file}: no such file or cannot be read`);
  }
  const loaded = parseManifests(text, file);
  if (loaded.objects.length === 0) throw new InputError(`${file}: the dump holds no objects`);
  if (!loaded.objects.some((o) => o.kind === 'Node')) {
    throw new InputError(
      `${file}: the dump holds no Node objects (dump with: kubectl get nodes,pods,... -A -o json)`,
    );
  }
  return loaded;
}
