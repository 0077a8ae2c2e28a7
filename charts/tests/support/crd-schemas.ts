import { readFileSync } from 'node:fs';
import { PrometheusRule } from '@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1/PrometheusRule';
import { ServiceMonitor } from '@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1/ServiceMonitor';
import { Ajv, type ValidateFunction } from 'ajv';
import type { K8sObject } from './charts.ts';

/**
 * Custom resources the charts render. Prometheus Operator objects use the validators that
 * @kubernetes-models/prometheus-operator generates from the operator's CRDs; Velero and OpenShift ship no
 * npm package with their schemas, so strict schemas written from their CRD/API definitions live in
 * charts/tests/schemas.
 */
const ajv = new Ajv({ allErrors: true, strict: false });
const fromFile = (name: string): ValidateFunction =>
  ajv.compile(JSON.parse(readFileSync(new URL(`../fixtures/schemas/${name}`, import.meta.url), 'utf8')));

const velero = fromFile('velero-schedule.schema.json');
const route = fromFile('openshift-route.schema.json');

function ajvErrors(validate: ValidateFunction, object: K8sObject): string[] {
  if (validate(object)) return [];
  return (validate.errors ?? []).map(
    (e) =>
      `${e.instancePath || '/'} ${e.message}${e.params && 'additionalProperty' in e.params ? `: ${e.params.additionalProperty}` : ''}`,
  );
}

function modelErrors(build: () => { validate(): void }): string[] {
  try {
    build().validate();
    return [];
  } catch (error) {
    return [(error as Error).message];
  }
}

const crds: Record<string, (object: K8sObject) => string[]> = {
  'monitoring.coreos.com/v1/ServiceMonitor': (o) => modelErrors(() => new ServiceMonitor(o as never)),
  'monitoring.coreos.com/v1/PrometheusRule': (o) => modelErrors(() => new PrometheusRule(o as never)),
  'velero.io/v1/Schedule': (o) => ajvErrors(velero, o),
  'route.openshift.io/v1/Route': (o) => ajvErrors(route, o),
};

/** Validator for a custom resource, or undefined when the object is not one of the known CRDs. */
export function crdValidator(object: K8sObject): ((object: K8sObject) => string[]) | undefined {
  return crds[`${object.apiVersion}/${object.kind}`];
}
