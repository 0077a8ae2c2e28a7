// The Kubernetes objects every layer reads: loaders produce them, rules judge them, reports name them.

/** Any Kubernetes object as parsed; rules read it defensively. */
export interface KubeObject {
  apiVersion?: string;
  kind?: string;
  metadata?: {
    name?: string;
    namespace?: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
    ownerReferences?: Array<{
      apiVersion?: string;
      kind?: string;
      name?: string;
      uid?: string;
      controller?: boolean;
    }>;
    [key: string]: unknown;
  };
  // biome-ignore lint/suspicious/noExplicitAny: manifests are untyped input; rules narrow what they read.
  spec?: any;
  // biome-ignore lint/suspicious/noExplicitAny: as above.
  status?: any;
  [key: string]: unknown;
}

export interface ObjectRef {
  kind: string;
  name: string;
  namespace?: string;
}

/** Where an object came from, for SARIF and for humans. */
export interface SourceLocation {
  file: string;
  line?: number;
}

/** Looks objects up among the checked ones; model code that needs other objects asks through this. */
export interface ObjectIndex {
  ofKind(kind: string): KubeObject[];
  find(kind: string, namespace: string, name: string): KubeObject | undefined;
}

export function refOf(object: KubeObject): ObjectRef {
  const ref: ObjectRef = { kind: object.kind ?? 'Unknown', name: object.metadata?.name ?? '(unnamed)' };
  if (object.metadata?.namespace) ref.namespace = object.metadata.namespace;
  return ref;
}

/** Objects without a namespace land in the release namespace; we compare them as "default". */
export function namespaceOf(object: KubeObject): string {
  return object.metadata?.namespace || 'default';
}
