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
import type { KubeObject } from '../types.ts';
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
  message?: string;
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
      const first = ((error as { errors?: AjvError[] }).errors ?? [])[0];
      const field = first?.instancePath ? first.instancePath.replace(/^\//, '').replace(/\//g, '.') : '';
      const reason = first ? `${field ? `${field} ` : ''}${first.message}` : String((error as Error).message);
      const source = loaded.sources.get(object);
      const where = source ? `${source.file}${source.line ? `:${source.line}` : ''}: ` : '';
      throw new InputError(`${where}${describe(object)} is not a valid ${object.kind}: ${reason}`);
    }
  }
}
