import { isAbsolute, relative, resolve, sep } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { RuleDescription } from '../model/rule-description.ts';
import type { Severity } from '../model/severity.ts';
import type { CheckReport } from '../report.ts';
import { objectLabel } from './common.ts';

/** Repository-relative URIs (what code scanning maps to files); absolute file URIs outside the tree. */
function artifactLocation(file: string): { uri: string; uriBaseId?: string } {
  const rel = relative(process.cwd(), resolve(file)).split(sep).join('/');
  if (rel.startsWith('..') || isAbsolute(rel)) return { uri: pathToFileURL(resolve(file)).href };
  return { uri: rel.split('/').map(encodeURIComponent).join('/'), uriBaseId: '%SRCROOT%' };
}

/**
 * Code scanning treats rules with a `security-severity` as security alerts (ranked by it); only the
 * Security category's rules are security findings, the rest are availability posture.
 */
const SECURITY_SEVERITY: Record<Severity, string> = { error: '7.5', warning: '5.0', info: '2.0' };

function ruleProperties(r: RuleDescription): Record<string, unknown> {
  const security = r.categories.includes('Security');
  return {
    tags: ['kubernetes', 'high-availability', ...(security ? ['security'] : []), ...r.categories],
    row: r.categories[0],
    ...(security ? { 'security-severity': SECURITY_SEVERITY[r.severity] } : {}),
  };
}

const LEVEL: Record<Severity, 'error' | 'warning' | 'note'> = {
  error: 'error',
  warning: 'warning',
  info: 'note',
};

/**
 * SARIF 2.1.0 as GitHub code scanning reads it: rules with help text, results located at the chart
 * template or manifest (relative to the repository root) when the origin is known. Results without a
 * file get the object as a logical location, which code scanning shows but cannot annotate.
 */
export function renderSarif(report: CheckReport, version: string, fallbackFile?: string): string {
  const ruleIndex = new Map(report.rules.map((r, i) => [r.id, i]));
  const results = report.findings.map((f) => {
    const location: Record<string, unknown> = {
      logicalLocations: [{ fullyQualifiedName: objectLabel(f.object), kind: 'object' }],
    };
    // Code scanning needs a file for every result: objects with no known origin point at the input.
    const source = f.source ?? (fallbackFile ? { file: fallbackFile, line: 1 } : undefined);
    if (source) {
      location.physicalLocation = {
        artifactLocation: artifactLocation(source.file),
        region: { startLine: source.line ?? 1 },
      };
    }
    return {
      ruleId: f.rule,
      ruleIndex: ruleIndex.get(f.rule) ?? 0,
      level: LEVEL[f.severity],
      message: { text: `${objectLabel(f.object)}: ${f.message}` },
      locations: [location],
      partialFingerprints: { dalpObject: `${f.rule}/${objectLabel(f.object)}` },
      properties: { row: f.category, fix: f.fix },
    };
  });
  const sarif = {
    $schema: 'https://json.schemastore.org/sarif-2.1.0.json',
    version: '2.1.0',
    runs: [
      {
        tool: {
          driver: {
            name: 'dalp check',
            version,
            informationUri:
              'https://docs.settlemint.com/docs/architecture/self-hosting/high-availability/cloud-native',
            rules: report.rules.map((r) => ({
              id: r.id,
              name: r.id
                .split('-')
                .map((w) => w[0]!.toUpperCase() + w.slice(1))
                .join(''),
              shortDescription: { text: r.title },
              fullDescription: { text: r.why },
              help: { text: `${r.why}\nFix: ${r.fix}`, markdown: `${r.why}\n\n**Fix:** ${r.fix}` },
              defaultConfiguration: { level: LEVEL[r.severity] },
              properties: ruleProperties(r),
            })),
          },
        },
        originalUriBaseIds: { '%SRCROOT%': { uri: `${pathToFileURL(process.cwd()).href}/` } },
        results,
        properties: { summary: report.summary },
      },
    ],
  };
  return `${JSON.stringify(sarif, null, 2)}\n`;
}
