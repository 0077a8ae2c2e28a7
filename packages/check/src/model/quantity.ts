// Kubernetes resource quantities ("250m", "1.5", "512Mi", "1G"). Written by hand because the only
// parser on npm that follows the API's suffix table is internal to @kubernetes/client-node (not exported),
// and loading that client only to read a number would slow every `dalp check` run.

const BINARY: Record<string, number> = {
  Ki: 2 ** 10,
  Mi: 2 ** 20,
  Gi: 2 ** 30,
  Ti: 2 ** 40,
  Pi: 2 ** 50,
  Ei: 2 ** 60,
};
const DECIMAL: Record<string, number> = {
  n: 1e-9,
  u: 1e-6,
  m: 1e-3,
  '': 1,
  k: 1e3,
  M: 1e6,
  G: 1e9,
  T: 1e12,
  P: 1e15,
  E: 1e18,
};

/** The quantity as a plain number (cores for CPU, bytes for memory); undefined when unparseable. */
export function parseQuantity(value: unknown): number | undefined {
  if (typeof value === 'number') return Number.isFinite(value) ? value : undefined;
  if (typeof value !== 'string') return undefined;
  const match = /^([+-]?[0-9.]+(?:[eE][+-]?[0-9]+)?)([a-zA-Z]{0,2})$/.exec(value.trim());
  if (!match) return undefined;
  const number = Number(match[1]);
  if (!Number.isFinite(number)) return undefined;
  const suffix = match[2] ?? '';
  const factor = BINARY[suffix] ?? DECIMAL[suffix];
  return factor === undefined ? undefined : number * factor;
}

export function formatCpu(cores: number): string {
  return cores < 1 ? `${Math.round(cores * 1000)}m CPU` : `${Number(cores.toFixed(2))} CPU`;
}

export function formatMemory(bytes: number): string {
  if (bytes >= 2 ** 30) return `${Number((bytes / 2 ** 30).toFixed(2))}Gi`;
  return `${Math.round(bytes / 2 ** 20)}Mi`;
}
