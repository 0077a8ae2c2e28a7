import { posix } from 'node:path';
import { envOf } from './env.ts';
import type { ObjectIndex } from './objects.ts';
import type { Container, Workload } from './workload.ts';

/** A script a probe runs, found in a ConfigMap mounted into the container. */
export interface ProbeScript {
  path: string;
  configMap: string;
  text: string;
}

/** Scripts call each other; a handful is all real probes use, and the bound stops cycles. */
const MAX_SCRIPTS = 10;

/** Files the container sees from mounted ConfigMaps: mount path + key (or item path) -> content. */
function mountedFiles(w: Workload, c: Container, objects: ObjectIndex): Map<string, ProbeScript> {
  const volumes = new Map<string, { name: string; items?: Array<{ key: string; path: string }> }>();
  for (const v of w.podSpec?.volumes ?? []) {
    if (v?.configMap?.name) volumes.set(v.name, v.configMap);
    for (const source of v?.projected?.sources ?? []) {
      if (source?.configMap?.name) volumes.set(v.name, source.configMap);
    }
  }
  const files = new Map<string, ProbeScript>();
  for (const mount of c?.volumeMounts ?? []) {
    const ref = volumes.get(mount?.name);
    if (!ref || typeof mount.mountPath !== 'string') continue;
    const data = (objects.find('ConfigMap', w.namespace, ref.name)?.data ?? {}) as Record<string, unknown>;
    const entries = ref.items?.length
      ? ref.items.map((i) => [i.path, i.key] as const)
      : Object.keys(data).map((key) => [key, key] as const);
    for (const [file, key] of entries) {
      if (typeof data[key] !== 'string') continue;
      if (mount.subPath && mount.subPath !== file) continue;
      const path = mount.subPath ? mount.mountPath : posix.join(mount.mountPath, file);
      files.set(path, { path, configMap: ref.name, text: data[key] as string });
    }
  }
  return files;
}

/**
 * The scripts an exec command runs, as far as the input shows them: a mounted ConfigMap file named in the
 * command, and the files beside it that a script names in turn ("$script_dir/ping_master.sh").
 */
export function probeScripts(
  w: Workload,
  c: Container,
  command: string,
  objects: ObjectIndex,
): ProbeScript[] {
  const files = mountedFiles(w, c, objects);
  if (files.size === 0) return [];
  const found: ProbeScript[] = [];
  const queue = [...files.values()].filter((f) => command.includes(f.path));
  while (queue.length > 0 && found.length < MAX_SCRIPTS) {
    const script = queue.shift()!;
    if (found.some((f) => f.path === script.path)) continue;
    found.push(script);
    const dir = posix.dirname(script.path);
    for (const other of files.values()) {
      if (posix.dirname(other.path) === dir && script.text.includes(`/${posix.basename(other.path)}`)) {
        queue.push(other);
      }
    }
  }
  return found;
}

/** Clients whose host flag names the server a probe talks to. */
const CLIENT = /\b(redis-cli|valkey-cli|pg_isready|psql|mysqladmin|mysql|mongosh|mongo|cqlsh|nc)\b/;
const HOST_FLAG = /(?:\s-h\s*|--host[=\s]+)["']?([^\s"';|&)]+)/g;
const HTTP_CLIENT = /\b(curl|wget)\b/;
const URL_HOST = /https?:\/\/([^\s"'/:@]+)/g;
/** Addresses that are the container itself. */
const LOCAL_HOST =
  /^(localhost|127\.\d+\.\d+\.\d+|::1|0\.0\.0\.0|\$\(hostname\)|\$\{?HOSTNAME\}?|\$\{?POD_IP\}?)$/;

/**
 * The other hosts a probe's shell text contacts through a database or cache client ("redis-cli -h
 * $REDIS_MASTER_HOST"). Variables are resolved from the container's environment where the input shows
 * them; a variable whose value is not visible is not judged.
 */
export function remoteHostsIn(text: string, w: Workload, c: Container, objects: ObjectIndex): string[] {
  const env = envOf(objects, w, c);
  const hosts = new Set<string>();
  // Shell line continuations join one command over several lines.
  for (const line of text.replace(/\\\n/g, ' ').split('\n')) {
    if (!CLIENT.test(line) && !HTTP_CLIENT.test(line)) continue;
    const flags = CLIENT.test(line) ? [...line.matchAll(HOST_FLAG)] : [];
    const urls = HTTP_CLIENT.test(line) ? [...line.matchAll(URL_HOST)] : [];
    for (const match of [...flags, ...urls]) {
      const raw = match[1]!;
      if (LOCAL_HOST.test(raw)) continue;
      const variable = /^\$\{?([A-Za-z_][A-Za-z0-9_]*)\}?$/.exec(raw)?.[1];
      const value = variable ? env.get(variable)?.value : raw;
      if (value && !LOCAL_HOST.test(value)) hosts.add(variable ? `$${variable} = ${value}` : value);
    }
  }
  return [...hosts];
}

/** Whether a host a probe names (httpGet.host, tcpSocket.host) is the pod itself. */
export function isLocalHost(host: string | undefined): boolean {
  return !host || LOCAL_HOST.test(host);
}
