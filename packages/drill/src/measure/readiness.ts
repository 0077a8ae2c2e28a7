// Polls a replica's /readyz in the background and keeps every status it answered (0: no answer), so a
// test can say readiness went false during a fault and came back.

export interface ReadinessWatch {
  readonly seen: number[];
  stop(): Promise<number[]>;
}

export function watchReadiness(baseUrl: string, intervalMs = 200): ReadinessWatch {
  const seen: number[] = [];
  let stopped = false;
  const loop = (async () => {
    while (!stopped) {
      try {
        seen.push((await fetch(`${baseUrl}/readyz`, { signal: AbortSignal.timeout(3_000) })).status);
      } catch {
        seen.push(0);
      }
      await new Promise((resolve) => setTimeout(resolve, intervalMs));
    }
  })();
  return {
    seen,
    async stop() {
      stopped = true;
      await loop;
      return seen;
    },
  };
}
