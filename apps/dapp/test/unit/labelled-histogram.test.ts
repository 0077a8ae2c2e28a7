import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Histogram, Registry } from 'prom-client';
import { LabelledHistogram } from '../../src/labelled-histogram.ts';
import { seededRandom } from '../support/helpers.ts';

const BUCKETS = [0.001, 0.01, 0.1, 1];
const LABELS = ['method', 'route', 'status_code'] as const;

/** prom-client's own histogram and ours, fed the same observations. */
function pair() {
  const theirs = new Registry();
  const ours = new Registry();
  const reference = new Histogram({
    name: 'req_seconds',
    help: 'Request duration.',
    labelNames: LABELS,
    buckets: BUCKETS,
    registers: [theirs],
  });
  const subject = new LabelledHistogram('req_seconds', 'Request duration.', LABELS, BUCKETS, ours);
  const observe = (labels: [string, string, string], value: number) => {
    reference.labels(...labels).observe(value);
    subject.labels(...labels).observe(value);
  };
  return { theirs, ours, subject, observe };
}

test('renders exactly what prom-client renders for the same observations', async () => {
  const { theirs, ours, observe } = pair();
  const random = seededRandom(7);
  const routes = ['/api/v1/assets/:id', '/api/v1/assets', 'unmatched'];
  for (let i = 0; i < 500; i++) {
    const labels: [string, string, string] = [
      i % 3 === 0 ? 'POST' : 'GET',
      routes[i % routes.length]!,
      i % 7 === 0 ? '503' : '200',
    ];
    // Values on, between and beyond the bucket bounds.
    const value = i % 11 === 0 ? BUCKETS[i % BUCKETS.length]! : random(20_000) / 10_000;
    observe(labels, value);
  }
  assert.equal(await ours.metrics(), await theirs.metrics());
  const json = async (registry: Registry) =>
    (await registry.getMetricsAsJSON()).map((metric) => ({
      ...metric,
      values: metric.values.map((v) => ({
        labels: v.labels,
        value: v.value,
        metricName: (v as { metricName?: string }).metricName,
      })),
    }));
  assert.deepEqual(await json(ours), await json(theirs));
});

test('a kept series handle counts into the registry, also after a reset', async () => {
  const { ours, subject } = pair();
  const series = subject.labels('GET', '/x', '200');
  series.observe(0.005);
  series.observe(5);
  let text = await ours.metrics();
  assert.match(text, /req_seconds_bucket\{le="0.01",method="GET",route="\/x",status_code="200"\} 1\n/);
  assert.match(text, /req_seconds_bucket\{le="\+Inf",method="GET",route="\/x",status_code="200"\} 2\n/);
  assert.match(text, /req_seconds_sum\{method="GET",route="\/x",status_code="200"\} 5.005\n/);
  ours.resetMetrics();
  series.observe(0.5);
  text = await ours.metrics();
  assert.match(text, /req_seconds_count\{method="GET",route="\/x",status_code="200"\} 1\n?/);
  assert.match(text, /req_seconds_bucket\{le="0.1",method="GET",route="\/x",status_code="200"\} 0\n/);
});

test('refuses a wrong number of label values and buckets that do not increase', () => {
  const { subject } = pair();
  assert.throws(() => subject.labels('GET', '/x'), /expected labels method, route, status_code/);
  assert.throws(() => new LabelledHistogram('h', 'h', [], [1, 1], new Registry()), /buckets must increase/);
});
