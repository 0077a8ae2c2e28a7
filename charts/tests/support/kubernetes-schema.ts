import { readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { Ajv, type ValidateFunction } from 'ajv';
import type { K8sObject } from './charts.ts';

/**
 * Strict JSON schemas of the Kubernetes API for one minor version, derived from the generated models of
 * `@kubernetes/client-node` (installed side by side under npm aliases: k8s-api-1.29 = client 0.21, generated from release-1.29 as its
 * model headers state; k8s-api-1.36 = client 2.0, generated from release-1.36).
 * No npm package ships the raw per-version OpenAPI documents, so we rebuild them from the models: each
 * model carries its attribute names and types (attributeTypeMap) and its .d.ts marks required fields.
 * Unknown fields are errors (like kubeconform -strict), and an apiVersion/kind must be served by that
 * version's API paths, which catches removed API versions.
 */
export interface KubernetesVersion {
  version: string;
  packageName: string;
}

export const kubernetesVersions: KubernetesVersion[] = [
  { version: '1.29', packageName: 'k8s-api-1.29' },
  { version: '1.36', packageName: 'k8s-api-1.36' },
];

interface Attribute {
  name: string;
  baseName: string;
  type: string;
}

interface Model {
  attributes: Attribute[];
  required: Set<string>;
}

type JsonSchema = Record<string, unknown>;

const require = createRequire(import.meta.url);

export class KubernetesSchema {
  readonly version: string;
  private readonly models = new Map<string, Model>();
  private readonly apiSource: string;
  private readonly ajv = new Ajv({ allErrors: true, strict: false });
  private readonly validators = new Map<string, ValidateFunction>();

  constructor({ version, packageName }: KubernetesVersion) {
    this.version = version;
    const genDir = join(dirname(require.resolve(`${packageName}/package.json`)), 'dist', 'gen');
    const modelDir = readdirSync(genDir).includes('models') ? join(genDir, 'models') : join(genDir, 'model');
    const apiDir = readdirSync(genDir).includes('apis') ? join(genDir, 'apis') : join(genDir, 'api');
    for (const file of readdirSync(modelDir)) {
      if (!file.endsWith('.js')) continue;
      const js = readFileSync(join(modelDir, file), 'utf8');
      const map = /(\w+)\.attributeTypeMap = (\[[\s\S]*?\]);/.exec(js);
      if (!map) continue;
      const className = map[1]!;
      const attributes = JSON.parse(map[2]!) as Attribute[];
      const dts = readFileSync(join(modelDir, file.replace(/\.js$/, '.d.ts')), 'utf8');
      const body = new RegExp(`export declare class ${className} \\{([\\s\\S]*?)\\n\\}`).exec(dts)?.[1] ?? '';
      const required = new Set([...body.matchAll(/^\s+'([^']+)': /gm)].map((m) => m[1]!));
      this.models.set(className, { attributes, required });
    }
    this.apiSource = readdirSync(apiDir)
      .filter((f) => f.endsWith('.js'))
      .map((f) => readFileSync(join(apiDir, f), 'utf8'))
      .join('\n');
    if (this.models.size < 500) throw new Error(`${packageName}: only ${this.models.size} models found`);
  }

  /** Whether this version serves the resource (its REST path appears in the generated API clients). */
  serves(apiVersion: string, kind: string): boolean {
    const plural = pluralize(kind.toLowerCase());
    const prefix = apiVersion.includes('/') ? `/apis/${apiVersion}` : `/api/${apiVersion}`;
    return (
      this.apiSource.includes(`'${prefix}/namespaces/{namespace}/${plural}'`) ||
      this.apiSource.includes(`'${prefix}/${plural}'`)
    );
  }

  /** Errors of one object against this version's schema; empty when valid. */
  validate(object: K8sObject): string[] {
    const { apiVersion, kind } = object;
    if (!this.serves(apiVersion, kind))
      return [`${apiVersion} ${kind} is not served by Kubernetes ${this.version}`];
    const version = apiVersion.split('/').pop()!;
    const className = `${version[0]!.toUpperCase()}${version.slice(1)}${kind}`;
    if (!this.models.has(className)) return [`no model ${className} in Kubernetes ${this.version}`];
    let validate = this.validators.get(className);
    if (!validate) {
      const definitions: Record<string, JsonSchema> = {};
      this.collect(className, definitions);
      validate = this.ajv.compile({ definitions, $ref: `#/definitions/${className}` });
      this.validators.set(className, validate);
    }
    if (validate(object)) return [];
    return (validate.errors ?? []).map(
      (e) =>
        `${e.instancePath || '/'} ${e.message}${e.params && 'additionalProperty' in e.params ? `: ${e.params.additionalProperty}` : ''}`,
    );
  }

  private collect(className: string, definitions: Record<string, JsonSchema>): void {
    if (definitions[className]) return;
    const model = this.models.get(className)!;
    const properties: Record<string, JsonSchema> = {};
    definitions[className] = {
      type: 'object',
      properties,
      required: model.attributes.filter((a) => model.required.has(a.name)).map((a) => a.baseName),
      additionalProperties: false,
    };
    for (const attribute of model.attributes) {
      properties[attribute.baseName] = this.typeSchema(attribute.type, definitions);
    }
  }

  private typeSchema(type: string, definitions: Record<string, JsonSchema>): JsonSchema {
    const array = /^Array<(.+)>$/.exec(type);
    if (array) return { type: 'array', items: this.typeSchema(array[1]!, definitions) };
    const map = /^\{ \[key: string\]: (.+); \}$/.exec(type);
    if (map) return { type: 'object', additionalProperties: this.typeSchema(map[1]!, definitions) };
    switch (type) {
      case 'string':
      case 'Date':
        return { type: 'string' };
      case 'number':
        return { type: 'number' };
      case 'boolean':
        return { type: 'boolean' };
      case 'IntOrString':
        return { type: ['integer', 'string'] };
      case 'any':
      case 'object':
        return {};
    }
    if (this.models.has(type)) {
      this.collect(type, definitions);
      return { $ref: `#/definitions/${type}` };
    }
    return {};
  }
}

function pluralize(kind: string): string {
  if (kind.endsWith('s')) return `${kind}es`;
  if (kind.endsWith('y')) return `${kind.slice(0, -1)}ies`;
  return `${kind}s`;
}
