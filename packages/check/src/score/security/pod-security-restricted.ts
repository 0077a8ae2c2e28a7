import { allContainersOf } from '../../model/workload.ts';
import { fail, pass } from '../internal/result.ts';
import { EVERY_CLASS } from '../internal/workloads.ts';
import type { Rule } from '../rule.ts';

// The "restricted" Pod Security Standard (Kubernetes 1.25+ policy), evaluated as the admission
// controller would; a hand-written port because no npm package evaluates PSS levels.

const RESTRICTED_VOLUMES = new Set([
  'configMap',
  'csi',
  'downwardAPI',
  'emptyDir',
  'ephemeral',
  'persistentVolumeClaim',
  'projected',
  'secret',
  'name',
]);
const SAFE_SYSCTLS = new Set([
  'kernel.shm_rmid_forced',
  'net.ipv4.ip_local_port_range',
  'net.ipv4.ip_unprivileged_port_start',
  'net.ipv4.tcp_syncookies',
  'net.ipv4.ping_group_range',
  'net.ipv4.ip_local_reserved_ports',
  'net.ipv4.tcp_keepalive_time',
  'net.ipv4.tcp_fin_timeout',
  'net.ipv4.tcp_keepalive_intvl',
  'net.ipv4.tcp_keepalive_probes',
]);
const SELINUX_TYPES = new Set([
  '',
  'container_t',
  'container_init_t',
  'container_kvm_t',
  'container_engine_t',
]);

// biome-ignore lint/suspicious/noExplicitAny: pod specs are untyped input.
export function restrictedViolations(spec: any): string[] {
  const v = new Set<string>();
  const podCtx = spec?.securityContext ?? {};
  if (spec?.hostNetwork) v.add('hostNetwork');
  if (spec?.hostPID) v.add('hostPID');
  if (spec?.hostIPC) v.add('hostIPC');
  for (const vol of spec?.volumes ?? []) {
    const type = Object.keys(vol ?? {}).find((k) => k !== 'name');
    if (type && !RESTRICTED_VOLUMES.has(type)) v.add(`volume type ${type} (${vol.name})`);
  }
  for (const s of podCtx.sysctls ?? []) if (!SAFE_SYSCTLS.has(s?.name)) v.add(`sysctl ${s?.name}`);
  if (podCtx.runAsUser === 0) v.add('pod runAsUser 0');
  if (
    !SELINUX_TYPES.has(podCtx.seLinuxOptions?.type ?? '') ||
    podCtx.seLinuxOptions?.user ||
    podCtx.seLinuxOptions?.role
  ) {
    v.add('pod seLinuxOptions');
  }
  const podSeccomp = podCtx.seccompProfile?.type;
  if (podSeccomp === 'Unconfined') v.add('pod seccompProfile Unconfined');
  if (podCtx.appArmorProfile?.type === 'Unconfined') v.add('pod appArmorProfile Unconfined');
  for (const c of allContainersOf(spec)) {
    const name = c?.name ?? '?';
    const sc = c?.securityContext ?? {};
    if (sc.privileged) v.add(`${name}: privileged`);
    if (sc.allowPrivilegeEscalation !== false) v.add(`${name}: allowPrivilegeEscalation not false`);
    const runAsNonRoot = sc.runAsNonRoot ?? podCtx.runAsNonRoot;
    if (runAsNonRoot !== true) v.add(`${name}: runAsNonRoot not true`);
    if (sc.runAsUser === 0) v.add(`${name}: runAsUser 0`);
    const seccomp = sc.seccompProfile?.type ?? podSeccomp;
    if (seccomp !== 'RuntimeDefault' && seccomp !== 'Localhost')
      v.add(`${name}: seccompProfile not RuntimeDefault/Localhost`);
    const drop: string[] = sc.capabilities?.drop ?? [];
    if (!drop.includes('ALL')) v.add(`${name}: capabilities do not drop ALL`);
    const added = (sc.capabilities?.add ?? []).filter((cap: string) => cap !== 'NET_BIND_SERVICE');
    if (added.length > 0) v.add(`${name}: adds capabilities ${added.join(',')}`);
    if (sc.procMount && sc.procMount !== 'Default') v.add(`${name}: procMount ${sc.procMount}`);
    if (sc.windowsOptions?.hostProcess) v.add(`${name}: hostProcess`);
    if (sc.appArmorProfile?.type === 'Unconfined') v.add(`${name}: appArmorProfile Unconfined`);
    if (
      !SELINUX_TYPES.has(sc.seLinuxOptions?.type ?? '') ||
      sc.seLinuxOptions?.user ||
      sc.seLinuxOptions?.role
    ) {
      v.add(`${name}: seLinuxOptions`);
    }
    for (const p of c?.ports ?? []) if (p?.hostPort) v.add(`${name}: hostPort ${p.hostPort}`);
  }
  return [...v];
}

export const rule: Rule = {
  id: 'pod-security-restricted',
  categories: ['Security'],
  severity: 'error',
  title: 'Pods meet the restricted Pod Security Standard',
  why: 'Namespaces enforcing the restricted standard (and OpenShift’s restricted-v2 SCC) reject pods that do not meet it, so a replacement pod after a node loss may not start at all; and a privileged or root pod widens the blast radius of one compromised replica.',
  fix: 'Set runAsNonRoot: true, allowPrivilegeEscalation: false, capabilities.drop: [ALL], seccompProfile.type: RuntimeDefault; avoid host namespaces, hostPath and hostPort.',
  appliesTo: EVERY_CLASS,
  check(ctx) {
    return ctx.workloadsOf(EVERY_CLASS).map((w) => {
      const violations = restrictedViolations(w.podSpec);
      return violations.length === 0 ? pass(w.ref) : fail(w.ref, violations.join('; '));
    });
  },
};
