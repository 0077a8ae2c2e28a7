import { useEffect, useState } from 'preact/hooks';
import { PageHeading, Status } from './ui.tsx';

interface Readiness {
  status: string;
  replica: string;
  version: string;
  shuttingDown: boolean;
  dependencies: Record<string, string>;
}

/** How often the page asks /readyz again. */
const REFRESH_MS = 2000;

export function OperationsPage() {
  const [readiness, setReadiness] = useState<Readiness>();
  const [checkedAt, setCheckedAt] = useState<Date>();
  const [error, setError] = useState<string>();

  useEffect(() => {
    let stopped = false;
    const check = async () => {
      try {
        // /readyz answers 503 with the same body when unready: both are a reading, not an error.
        const response = await fetch('/readyz', { cache: 'no-store' });
        const body = (await response.json()) as Readiness;
        if (stopped) return;
        setReadiness(body);
        setError(undefined);
      } catch {
        if (!stopped) setError('No replica answered /readyz.');
      }
      if (!stopped) setCheckedAt(new Date());
    };
    void check();
    const timer = setInterval(() => void check(), REFRESH_MS);
    return () => {
      stopped = true;
      clearInterval(timer);
    };
  }, []);

  return (
    <>
      <PageHeading>Operations</PageHeading>
      <p>The readiness of the replica that answers, asked every {REFRESH_MS / 1000} seconds.</p>
      <Status message={error} kind="error" />
      {readiness && (
        <dl class="summary" data-testid="readiness">
          <dt>Replica</dt>
          <dd data-testid="replica">{readiness.replica}</dd>
          <dt>Version</dt>
          <dd>{readiness.version}</dd>
          <dt>Readiness</dt>
          <dd>{readiness.status}</dd>
          {Object.entries(readiness.dependencies).map(([name, state]) => (
            <>
              <dt>{name}</dt>
              <dd>{state}</dd>
            </>
          ))}
          <dt>Checked</dt>
          <dd>{checkedAt?.toLocaleTimeString()}</dd>
        </dl>
      )}
    </>
  );
}
