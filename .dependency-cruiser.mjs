// Which module may import which, for the whole repository (dependency-cruiser). The architecture test of
// each package cruises its sources with this file and fails on any violation; docs/architecture.md
// explains the layers. Paths are relative to the repository root. Each package's rules are a block of its
// own below; the last block holds the rules of every package.

const CHECK = '^packages/check/src/';
const DAPP = '^apps/dapp/src/';

/** @returns {import('dependency-cruiser').IForbiddenRuleType} */
const noCycles = (name, path) => ({
  name,
  comment: 'A cycle makes every module in it depend on all the others: no layer can be read alone.',
  severity: 'error',
  from: { path },
  to: { circular: true },
});

/** @type {import('dependency-cruiser').IConfiguration} */
export default {
  forbidden: [
    // --- packages/check: loaders -> model <- score -> report <- reporters; engine joins score and report.
    noCycles('check-no-cycles', CHECK),
    {
      name: 'check-model-is-the-base',
      comment:
        'model/ is the Kubernetes vocabulary and semantics every layer shares; it imports nothing of the package but model/ (never the context, a loader, a rule or a reporter).',
      severity: 'error',
      from: { path: `${CHECK}model/` },
      to: { path: CHECK, pathNot: `${CHECK}model/` },
    },
    {
      name: 'check-loaders-only-read-input',
      comment: 'Loaders turn input into objects; they know nothing of the rules, the report or its formats.',
      severity: 'error',
      from: { path: `${CHECK}loaders/` },
      to: { path: CHECK, pathNot: `${CHECK}(loaders/|model/|errors\\.ts$)` },
    },
    {
      name: 'check-score-knows-no-input-or-output',
      comment:
        'Rules judge objects given in a context; they never load input, build the report or format it.',
      severity: 'error',
      from: { path: `${CHECK}score/` },
      to: { path: CHECK, pathNot: `${CHECK}(score/|model/)` },
    },
    {
      name: 'check-rules-stand-alone',
      comment:
        'A rule file imports no other rule: what two rules share lives in score/internal/, so each rule reads alone.',
      severity: 'error',
      from: {
        path: `${CHECK}score/[^/]+/[^/]+\\.ts$`,
        pathNot: `${CHECK}score/(internal/|[^/]+/index\\.ts$)`,
      },
      to: { path: `${CHECK}score/[^/]+/[^/]+\\.ts$`, pathNot: `${CHECK}score/internal/` },
    },
    {
      name: 'check-internal-helpers-know-no-rule',
      comment: 'score/internal/ holds what rules share; it depends on no rule, area list or the registry.',
      severity: 'error',
      from: { path: `${CHECK}score/internal/` },
      to: { path: `${CHECK}score/([^/]+/|registry\\.ts$)`, pathNot: `${CHECK}score/internal/` },
    },
    {
      name: 'check-report-is-data',
      comment: 'The report is what reporters read: plain data over the model vocabulary.',
      severity: 'error',
      from: { path: `${CHECK}report\\.ts$` },
      to: { path: CHECK, pathNot: `${CHECK}model/` },
    },
    {
      name: 'check-reporters-read-only-the-report',
      comment:
        'A reporter formats the report; rule metadata comes from the report too, never from the rule registry.',
      severity: 'error',
      from: { path: `${CHECK}reporters/` },
      to: { path: CHECK, pathNot: `${CHECK}(reporters/|report\\.ts$|model/)` },
    },
    {
      name: 'check-engine-neither-loads-nor-formats',
      comment: 'The engine runs rules into a report; reading input and formatting are the caller’s steps.',
      severity: 'error',
      from: { path: `${CHECK}engine\\.ts$` },
      to: { path: `${CHECK}(loaders/|reporters/|docs\\.ts$)` },
    },
    {
      name: 'check-facade-is-for-outside',
      comment: 'index.ts is the package’s public face; modules inside import each other directly.',
      severity: 'error',
      from: { path: CHECK },
      to: { path: `${CHECK}index\\.ts$` },
    },
    {
      name: 'check-through-its-entry',
      comment: 'Other packages use @dalp/check through its public entry, not its internals.',
      severity: 'error',
      from: { path: '^(packages|apps)/', pathNot: '^packages/check/' },
      to: { path: CHECK, pathNot: `${CHECK}index\\.ts$` },
    },
    // --- apps/dapp: domain <- ports <- adapters; domain <- store <- use-cases <- http; runtime.ts wires them.
    noCycles('dapp-no-cycles', DAPP),
    {
      name: 'dapp-errors-is-the-base',
      comment: 'errors.ts is the catalog every layer throws from; it imports nothing of the service.',
      severity: 'error',
      from: { path: `${DAPP}errors\\.ts$` },
      to: { path: DAPP },
    },
    {
      name: 'dapp-domain-is-pure',
      comment:
        'domain/ holds the rules (assets, investors, the ledger): it imports only domain/ and the error catalog, never an adapter, a store, a use case or HTTP.',
      severity: 'error',
      from: { path: `${DAPP}domain/` },
      to: { path: DAPP, pathNot: `${DAPP}(domain/|errors\\.ts$)` },
    },
    {
      name: 'dapp-ports-import-nothing-concrete',
      comment:
        'A port is the contract an adapter fulfils: it imports other ports, the error catalog and Node types, never an adapter or a library.',
      severity: 'error',
      from: { path: `${DAPP}ports/` },
      to: {
        path: `${DAPP}|node_modules`,
        pathNot: `${DAPP}(ports/|errors\\.ts$)`,
      },
    },
    {
      name: 'dapp-adapters-report-through-ports',
      comment:
        'An adapter serves a port and reports what it sees through the DependencyObserver port: it knows no metrics, health, store, use case or HTTP.',
      severity: 'error',
      from: { path: `${DAPP}adapters/` },
      to: { path: `${DAPP}(metrics|health|runtime|read-cache)\\.ts$|${DAPP}(store|use-cases|http)/` },
    },
    {
      name: 'dapp-store-knows-no-callers',
      comment: 'The stores are SQL over the database adapter; they never call a use case or HTTP.',
      severity: 'error',
      from: { path: `${DAPP}store/` },
      to: { path: `${DAPP}(use-cases|http)/|${DAPP}runtime\\.ts$` },
    },
    {
      name: 'dapp-ledger-planner-is-pure',
      comment:
        'The batch planner decides from a snapshot, without SQL or I/O, so it is unit-tested without PostgreSQL: it imports only the domain and the error catalog.',
      severity: 'error',
      from: { path: `${DAPP}store/ledger/planner\\.ts$` },
      to: { path: DAPP, pathNot: `${DAPP}(domain/|errors\\.ts$)` },
    },
    {
      name: 'dapp-use-cases-use-ports',
      comment:
        'A use case coordinates stores, ports and the read cache; it never reaches an adapter or HTTP (the runtime hands it the adapters behind their ports).',
      severity: 'error',
      from: { path: `${DAPP}use-cases/` },
      to: { path: `${DAPP}(adapters|http)/|${DAPP}runtime\\.ts$` },
    },
    {
      name: 'dapp-routes-do-not-touch-adapters',
      comment:
        'HTTP parses, calls a use case or a store, and replies: it never reaches an adapter (the database, the cache, the object store) itself.',
      severity: 'error',
      from: { path: `${DAPP}http/` },
      to: { path: `${DAPP}adapters/` },
    },
    // --- every package
    {
      name: 'no-test-code-in-production',
      comment:
        'Production code (a package’s src, the chart scripts) never imports test, bench or script code.',
      severity: 'error',
      from: { path: '^(packages|apps)/[^/]+/src/|^charts/scripts/' },
      to: { path: '^(packages|apps)/[^/]+/(test|bench|scripts)/|^charts/tests/' },
    },
    {
      name: 'packages-never-import-apps',
      comment: 'Packages are the tools and libraries apps use; an app is never a dependency of a package.',
      severity: 'error',
      from: { path: '^packages/' },
      to: { path: '^apps/' },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    // `import type` counts: a type-only cycle still ties the modules together for a reader.
    tsPreCompilationDeps: true,
    enhancedResolveOptions: { exportsFields: ['exports'], conditionNames: ['import', 'node', 'default'] },
  },
};
