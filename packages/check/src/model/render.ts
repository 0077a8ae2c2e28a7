/** An enabled chart dependency that was not rendered because it is not vendored. */
export interface UnrenderedChart {
  /** "atk/support/ingress-nginx": the chart names from the top chart down, then the dependency's key. */
  chart: string;
  name: string;
  version?: string;
  repository?: string;
  /** The chart directory whose Chart.yaml declares it: where `helm dependency build` vendors it. */
  declaredIn: string;
  condition?: string;
}

/** What the loader could and could not turn into objects: the check reports what it never saw. */
export interface RenderCompleteness {
  /** The chart that was rendered, for the passing evaluation of a complete render. */
  chart: string;
  unrendered: UnrenderedChart[];
}
