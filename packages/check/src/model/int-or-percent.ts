/**
 * An int-or-percent field scaled against a total the way its controller does: the disruption controller
 * and a Deployment's maxSurge round percentages up, a Deployment's maxUnavailable rounds them down.
 * Undefined when the value is neither an integer nor a percentage.
 */
export function scaleIntOrPercent(value: unknown, total: number, round: 'up' | 'down'): number | undefined {
  if (typeof value === 'number') return value;
  if (typeof value === 'string') {
    const percent = /^(\d+)%$/.exec(value.trim());
    if (percent) return (round === 'up' ? Math.ceil : Math.floor)((Number(percent[1]) * total) / 100);
    if (/^\d+$/.test(value.trim())) return Number(value);
  }
  return undefined;
}
