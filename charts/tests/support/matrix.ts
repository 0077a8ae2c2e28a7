/**
 * The render matrix of issue #4: each wrapper's defaults, the source document's overlay alone (must fail),
 * the overlay plus each provider file, and the switches that change the object set.
 */
export interface MatrixCase {
  name: string;
  chart: 'dalp' | 'support' | 'dalp-local' | 'dalp-staging';
  values?: string[];
  set?: Record<string, string>;
}

const overlay = 'examples/values-production-ha.yaml';
const externalForDalp = 'dalp/ci/external-datastores-values.yaml';

export const renderableCases: MatrixCase[] = [
  { name: 'dalp-local defaults', chart: 'dalp-local' },
  { name: 'dalp-staging defaults', chart: 'dalp-staging' },
  { name: 'support defaults', chart: 'support' },
  ...(['aws', 'azure', 'gcp', 'openshift'] as const).flatMap((provider) =>
    (['dalp-local', 'dalp-staging'] as const).map(
      (chart): MatrixCase => ({
        name: `${chart} + overlay + ${provider}`,
        chart,
        values: [overlay, `examples/providers/${provider}.yaml`],
      }),
    ),
  ),
  { name: 'hard anti-affinity', chart: 'dalp-local', set: { 'dalp.dapp.podAntiAffinityPreset': 'hard' } },
  {
    name: 'HPA on',
    chart: 'dalp-local',
    set: {
      'dalp.dapp.autoscaling.enabled': 'true',
      'dalp.dapp.autoscaling.targetMemoryUtilizationPercentage': '80',
    },
  },
  {
    name: 'Velero on',
    chart: 'dalp-local',
    set: { 'dalp.backup.velero.enabled': 'true', 'dalp.metrics.prometheusRule.enabled': 'true' },
  },
  {
    name: 'OpenShift on',
    chart: 'dalp-local',
    set: { 'global.openshift.enabled': 'true', 'dalp.dapp.route.enabled': 'true' },
  },
  {
    name: 'dalp alone, every optional object on',
    chart: 'dalp',
    values: [externalForDalp],
    set: {
      'dapp.networkPolicy.enabled': 'true',
      'dapp.networkPolicy.restrictEgress': 'true',
      'dapp.ingress.enabled': 'true',
      'dapp.ingress.tls.enabled': 'true',
      'dapp.route.enabled': 'true',
      'dapp.migration.mode': 'job',
      'dapp.startupProbe.enabled': 'true',
      'dapp.shutdown.preStopUseSleepAction': 'true',
      'metrics.serviceMonitor.enabled': 'true',
      'metrics.prometheusRule.enabled': 'true',
      'backup.velero.enabled': 'true',
    },
  },
];

export const overlayAlone: MatrixCase[] = (['dalp-local', 'dalp-staging'] as const).map((chart) => ({
  name: `${chart} + overlay alone`,
  chart,
  values: [overlay],
}));
