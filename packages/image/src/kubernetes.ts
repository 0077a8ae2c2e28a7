import { connect } from 'node:net';
import type { RunOptions } from './container.ts';

/**
 * Runs a container of a rendered pod spec the way the kubelet would, as far as one machine can: its
 * environment (secret references resolved by the caller, `$(VAR)` expanded), its security context
 * (user, read-only root, capabilities, privilege escalation, seccomp), its volumes (emptyDir as tmpfs,
 * Secret volumes from host directories the caller fills) and its probes. The network is the host's
 * (see container.ts), so the caller picks the ports.
 */

export interface EnvVar {
  name: string;
  value?: string;
  valueFrom?: { secretKeyRef?: { name: string; key: string } };
}

export interface SecurityContext {
  runAsUser?: number;
  runAsGroup?: number;
  runAsNonRoot?: boolean;
  readOnlyRootFilesystem?: boolean;
  allowPrivilegeEscalation?: boolean;
  privileged?: boolean;
  capabilities?: { drop?: string[]; add?: string[] };
  seccompProfile?: { type: string };
}

export interface Probe {
  httpGet?: { path?: string; port: number | string; scheme?: string };
  tcpSocket?: { port: number | string };
  exec?: unknown;
  grpc?: unknown;
}

export interface ContainerSpec {
  name: string;
  image?: string;
  command?: string[];
  args?: string[];
  env?: EnvVar[];
  ports?: Array<{ name?: string; containerPort: number }>;
  securityContext?: SecurityContext;
  volumeMounts?: Array<{ name: string; mountPath: string; readOnly?: boolean }>;
  livenessProbe?: Probe;
  readinessProbe?: Probe;
  startupProbe?: Probe;
  lifecycle?: { preStop?: { exec?: { command: string[] }; sleep?: { seconds: number } } };
}

export interface PodSpec {
  securityContext?: SecurityContext;
  terminationGracePeriodSeconds?: number;
  initContainers?: ContainerSpec[];
  containers: ContainerSpec[];
  volumes?: Array<{ name: string; emptyDir?: { sizeLimit?: string }; secret?: { secretName: string } }>;
}

/** Resolves an env list as the kubelet does: secret references through `secretValue`, then `$(NAME)`. */
export function resolveEnv(
  vars: readonly EnvVar[],
  secretValue: (ref: { name: string; key: string }) => string,
): Record<string, string> {
  const env: Record<string, string> = {};
  for (const v of vars) {
    const ref = v.valueFrom?.secretKeyRef;
    let value = v.value ?? (ref ? secretValue(ref) : undefined);
    if (value === undefined) throw new Error(`env ${v.name} has neither value nor secretKeyRef`);
    // $(NAME) expands from variables defined earlier in the list; unknown ones stay as written.
    value = value.replace(/\$\(([A-Za-z0-9_]+)\)/g, (whole, name: string) => env[name] ?? whole);
    env[v.name] = value;
  }
  return env;
}

/** A Kubernetes quantity (`256Mi`, `1G`) in bytes, as podman takes a tmpfs size. */
function podmanSize(quantity: string): string {
  const match = /^(\d+)(Ki|Mi|Gi|k|M|G)?$/.exec(quantity);
  if (!match) throw new Error(`unsupported emptyDir sizeLimit "${quantity}"`);
  const factor = { Ki: 1024, Mi: 1024 ** 2, Gi: 1024 ** 3, k: 1e3, M: 1e6, G: 1e9 }[match[2] ?? ''] ?? 1;
  return String(Number(match[1]) * factor);
}

export interface PodInputs {
  /** Value of a `secretKeyRef`, as the Secret in the cluster would hold it. */
  secretValue(ref: { name: string; key: string }): string;
  /** Host directory standing in for a Secret volume (its files as the Secret's keys). */
  secretDir(secretName: string): string;
  /** Environment entries that differ on this machine (service addresses, the host-network port). */
  envOverrides?: Record<string, string>;
}

/** podman run options for one container of a pod spec (image and name are the caller's). */
export function podContainerRunOptions(
  pod: PodSpec,
  container: ContainerSpec,
  inputs: PodInputs,
): Omit<RunOptions, 'image' | 'name'> {
  const sc: SecurityContext = { ...pod.securityContext, ...container.securityContext };
  if (sc.privileged) throw new Error(`${container.name}: privileged containers are not run here`);
  if (sc.seccompProfile && !['RuntimeDefault', 'Unconfined'].includes(sc.seccompProfile.type)) {
    throw new Error(`${container.name}: seccomp profile ${sc.seccompProfile.type} is not supported here`);
  }
  if (container.command) throw new Error(`${container.name}: a command override is not supported here`);
  const options: Omit<RunOptions, 'image' | 'name'> = {
    args: container.args,
    env: { ...resolveEnv(container.env ?? [], inputs.secretValue), ...inputs.envOverrides },
    runAsNonRoot: sc.runAsNonRoot,
    readOnlyRootFilesystem: sc.readOnlyRootFilesystem,
    capDrop: sc.capabilities?.drop,
    capAdd: sc.capabilities?.add,
    noNewPrivileges: sc.allowPrivilegeEscalation === false,
    seccompUnconfined: sc.seccompProfile?.type === 'Unconfined',
    tmpfs: [],
    mounts: [],
  };
  // Fields merge one by one, the container's over the pod's; without a group the runtime takes the
  // user's group from the image, as it does in a pod.
  if (sc.runAsUser !== undefined) {
    options.user = sc.runAsGroup === undefined ? String(sc.runAsUser) : `${sc.runAsUser}:${sc.runAsGroup}`;
  }
  for (const mount of container.volumeMounts ?? []) {
    const volume = pod.volumes?.find((v) => v.name === mount.name);
    if (volume?.emptyDir) {
      const size = volume.emptyDir.sizeLimit;
      options.tmpfs?.push({ path: mount.mountPath, ...(size ? { sizeLimit: podmanSize(size) } : {}) });
    } else if (volume?.secret) {
      // Secret volumes are read-only whatever the mount says.
      options.mounts?.push({
        source: inputs.secretDir(volume.secret.secretName),
        target: mount.mountPath,
        readOnly: true,
      });
    } else {
      throw new Error(`${container.name}: volume ${mount.name} is neither an emptyDir nor a Secret`);
    }
  }
  return options;
}

/**
 * One probe attempt as the kubelet makes it: TCP connect, or HTTP GET where 200-399 passes. `ports`
 * maps the container's port names and numbers to where they listen on this machine.
 */
export async function probeOnce(
  probe: Probe,
  container: ContainerSpec,
  hostPort: (containerPort: number) => number,
  timeoutMs = 3_000,
): Promise<boolean> {
  const portOf = (port: number | string): number => {
    const number =
      typeof port === 'number' ? port : container.ports?.find((p) => p.name === port)?.containerPort;
    if (number === undefined) throw new Error(`${container.name}: no port named ${port}`);
    return hostPort(number);
  };
  if (probe.tcpSocket) {
    const port = portOf(probe.tcpSocket.port);
    return new Promise((resolve) => {
      const socket = connect({ host: '127.0.0.1', port, timeout: timeoutMs });
      const done = (ok: boolean) => {
        socket.destroy();
        resolve(ok);
      };
      socket.once('connect', () => done(true));
      socket.once('error', () => done(false));
      socket.once('timeout', () => done(false));
    });
  }
  if (probe.httpGet) {
    const scheme = (probe.httpGet.scheme ?? 'HTTP').toLowerCase();
    const url = `${scheme}://127.0.0.1:${portOf(probe.httpGet.port)}${probe.httpGet.path ?? '/'}`;
    try {
      const response = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) });
      await response.arrayBuffer();
      return response.status >= 200 && response.status < 400;
    } catch {
      return false;
    }
  }
  throw new Error(`${container.name}: only tcpSocket and httpGet probes are run here`);
}
