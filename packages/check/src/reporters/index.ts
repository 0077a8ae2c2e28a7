import type { CheckReport } from '../report.ts';
import { renderJson } from './json.ts';
import { renderJunit } from './junit.ts';
import { renderMarkdown } from './markdown.ts';
import { renderSarif } from './sarif.ts';
import { renderText } from './text.ts';

export const FORMATS = ['text', 'json', 'junit', 'sarif', 'markdown'] as const;
export type Format = (typeof FORMATS)[number];

export interface RenderOptions {
  version?: string;
  /** File that SARIF results without a known origin point at (the chart's Chart.yaml, the dump...). */
  fallbackFile?: string;
}

export function render(report: CheckReport, format: Format, options: RenderOptions = {}): string {
  switch (format) {
    case 'text':
      return renderText(report);
    case 'json':
      return renderJson(report);
    case 'junit':
      return renderJunit(report);
    case 'sarif':
      return renderSarif(report, options.version ?? '0.1.0', options.fallbackFile);
    case 'markdown':
      return renderMarkdown(report);
  }
}
