import { DaemonSet } from 'kubernetes-models/apps/v1/DaemonSet';
import { Deployment } from 'kubernetes-models/apps/v1/Deployment';
import { ReplicaSet } from 'kubernetes-models/apps/v1/ReplicaSet';
import { StatefulSet } from 'kubernetes-models/apps/v1/StatefulSet';
import { HorizontalPodAutoscaler } from 'kubernetes-models/autoscaling/v2/HorizontalPodAutoscaler';
import { CronJob } from 'kubernetes-models/batch/v1/CronJob';
import { Job } from 'kubernetes-models/batch/v1/Job';
import { PodDisruptionBudget } from 'kubernetes-models/policy/v1/PodDisruptionBudget';
import { ConfigMap } from 'kubernetes-models/v1/ConfigMap';
import { Node } from 'kubernetes-models/v1/Node';
import { Pod } from 'kubernetes-models/v1/Pod';
import { Service } from 'kubernetes-models/v1/Service';
import { InputError } from '../errors.ts';
import type { KubeObject } from '../model/objects.ts';
import type { LoadedObjects } from './manifests.ts';

// The API server rejects objects whose fields have the wrong type; so do we, against the Kubernetes
// OpenAPI schemas compiled by kubernetes-models, for every kind the rules read. A one-line input error
// ("containers/0/ports must be array") beats a rule tripping over a string where a list belongs.

type Model = new (data: never) => { validate(): void };

const MODELS: Record<string, Model> = {
  'apps/v1/Deployment': Deployment as unknown as Model,
  'apps/v1/StatefulSet': StatefulSet as unknown as Model,
  'apps/v1/DaemonSet': DaemonSet as unknown as Model,
  'apps/v1/ReplicaSet': ReplicaSet as unknown as Model,
  'batch/v1/Job': Job as unknown as Model,
  'batch/v1/CronJob': CronJob as unknown as Model,
  'v1/Pod': Pod as unknown as Model,
  'v1/Service': Service as unknown as Model,
  'v1/ConfigMap': ConfigMap as unknown as Model,
  'v1/Node': Node as unknown as Model,
  'policy/v1/PodDisruptionBudget': PodDisruptionBudget as unknown as Model,
  'autoscaling/v2/HorizontalPodAutoscaler': HorizontalPodAutoscaler as unknown as Model,
};

interface AjvError {
  instancePath?: string;
  keyword?: string;
  message?: string;
  params?: { format?: string };
}

/**
 * The error to show for an invalid field. Fields that accept a number or a string of a format (resource
 * quantities: 2, "250m", "3920m") fail both alternatives at once; the format error is the one that says
 * what the value should look like, not "must be number".
 */
function describeError(errors: AjvError[], object: KubeObject): string | undefined {
  const first = errors[0];
  if (!first) return undefined;
  const sameField = errors.filter((e) => e.instancePath === first.instancePath);
  const chosen = sameField.find((e) => e.keyword === 'format') ?? first;
  const field = chosen.instancePath ? chosen.instancePath.replace(/^\//, '').replace(/\//g, '.') : '';
  if (chosen.params?.format === 'quantity') {
    const value = valueAt(object, chosen.instancePath ?? '');
    return `${field} ${JSON.stringify(value)} is not a Kubernetes quantity (like 2, "250m", "3920m", "512Mi")`;
  }
  return `${field ? `${field} ` : ''}${chosen.message}`;
}

function valueAt(object: unknown, pointer: string): unknown {
  let value = object;
  for (const part of pointer.split('/').slice(1)) {
    value = (value as Record<string, unknown> | undefined)?.[part.replace(/~1/g, '/').replace(/~0/g, '~')];
  }
  return value;
}

function describe(object: KubeObject): string {
  const ns = object.metadata?.namespace ? `${object.metadata.namespace}/` : '';
  return `${object.kind}/${ns}${object.metadata?.name ?? '(unnamed)'}`;
}

/** Throws an InputError naming the file, line, object and field of the first invalid object. */
export function validateObjects(loaded: LoadedObjects): void {
  for (const object of loaded.objects) {
    const Model = MODELS[`${object.apiVersion}/${object.kind}`];
    if (!Model) continue;
    try {
      new Model(object as never).validate();
    } catch (error) {
      const reason =
        describeError((error as { errors?: AjvError[] }).errors ?? [], object) ??
        String((error as Error).message);
      const source = loaded.sources.get(object);
      const where = source ? `${source.file}${source.line ? `:${source.line}` : ''}: ` : '';
      throw new InputError(`${where}${describe(object)} is not a valid ${object.kind}: ${reason}`);
    }
  }
}
