import { render } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { currentSession, type Session, setSessionEndedHandler, signIn, signOut } from './api.ts';
import { AssetPage } from './asset.tsx';
import { AssetsPage } from './assets.tsx';
import { InvestorsPage } from './investors.tsx';
import { ApiKeysPage } from './keys.tsx';
import { OperationsPage } from './operations.tsx';
import { Field, messageOf, PageHeading, Status } from './ui.tsx';

// Pages are hash routes (#/assets/<id>): every page is index.html, so the server needs no route per page
// and a reload or a shared link opens the same page.
const routeOf = () => location.hash.replace(/^#/, '') || '/assets';

function useRoute(): string {
  const [route, setRoute] = useState(routeOf());
  useEffect(() => {
    const changed = () => setRoute(routeOf());
    window.addEventListener('hashchange', changed);
    return () => window.removeEventListener('hashchange', changed);
  }, []);
  return route;
}

function SignIn({ onSignedIn, ended }: { onSignedIn: (session: Session) => void; ended?: string }) {
  const [key, setKey] = useState('');
  const [error, setError] = useState<string>();
  const [busy, setBusy] = useState(false);
  const submit = async (event: Event) => {
    event.preventDefault();
    setBusy(true);
    try {
      onSignedIn(await signIn(key.trim()));
    } catch (e) {
      setError(messageOf(e));
    } finally {
      setBusy(false);
    }
  };
  return (
    <main id="main" class="sign-in">
      <PageHeading>Sign in to DALP</PageHeading>
      {ended && <Status message={ended} kind="info" />}
      <form onSubmit={(e) => void submit(e)}>
        <Field
          id="api-key"
          label="API key"
          hint="The key is exchanged for a session; the browser keeps only the session cookie."
          error={error}
        >
          <input
            id="api-key"
            type="password"
            autocomplete="off"
            required
            value={key}
            onInput={(e) => setKey(e.currentTarget.value)}
            aria-describedby={error ? 'api-key-hint api-key-error' : 'api-key-hint'}
          />
        </Field>
        <button type="submit" disabled={busy}>
          Sign in
        </button>
      </form>
    </main>
  );
}

function App() {
  const [session, setSession] = useState<Session | null | undefined>(undefined);
  const [ended, setEnded] = useState<string>();
  const route = useRoute();

  useEffect(() => {
    setSessionEndedHandler(() => {
      setSession(null);
      setEnded(
        'Your session has ended (signed out elsewhere, expired, or its key was revoked). Sign in again.',
      );
    });
    currentSession().then(
      (s) => setSession(s ?? null),
      () => setSession(null),
    );
  }, []);

  if (session === undefined) return <p class="loading">Loading…</p>;
  if (session === null)
    return (
      <SignIn
        ended={ended}
        onSignedIn={(s) => {
          setEnded(undefined);
          setSession(s);
        }}
      />
    );

  const { principal } = session;
  const nav = [
    { href: '#/assets', label: 'Assets', active: route.startsWith('/assets') },
    { href: '#/investors', label: 'Investors', active: route === '/investors' },
    ...(principal.role === 'admin'
      ? [{ href: '#/api-keys', label: 'API keys', active: route === '/api-keys' }]
      : []),
    { href: '#/operations', label: 'Operations', active: route === '/operations' },
  ];
  const asset = /^\/assets\/([0-9a-f-]{36})$/.exec(route);
  let page = <AssetsPage principal={principal} />;
  if (asset) page = <AssetPage id={asset[1]!} principal={principal} />;
  else if (route === '/investors') page = <InvestorsPage principal={principal} />;
  else if (route === '/api-keys' && principal.role === 'admin') page = <ApiKeysPage />;
  else if (route === '/operations') page = <OperationsPage />;

  return (
    <>
      {/* A button, not a link: a link to #main would change the hash route. */}
      <button type="button" class="skip" onClick={() => document.getElementById('main')?.focus()}>
        Skip to content
      </button>
      <header>
        <p class="brand">DALP console</p>
        <nav aria-label="Main">
          <ul>
            {nav.map((item) => (
              <li>
                <a href={item.href} aria-current={item.active ? 'page' : undefined}>
                  {item.label}
                </a>
              </li>
            ))}
          </ul>
        </nav>
        <p class="who">
          {principal.name} ({principal.role}){' '}
          <button
            type="button"
            onClick={async () => {
              await signOut().catch(() => undefined);
              setEnded('You are signed out.');
              setSession(null);
            }}
          >
            Sign out
          </button>
        </p>
      </header>
      <main id="main" tabIndex={-1} key={route}>
        {page}
      </main>
    </>
  );
}

render(<App />, document.getElementById('app')!);
