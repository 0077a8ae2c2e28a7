import { useEffect, useState } from 'preact/hooks';
import { call, get, type Page } from './api.ts';
import { type ApiKeyInfo, ROLES } from './types.ts';
import { confirmAction, Field, messageOf, PageHeading, Status, TableWrap } from './ui.tsx';

export function ApiKeysPage() {
  const [keys, setKeys] = useState<ApiKeyInfo[]>([]);
  const [cursor, setCursor] = useState<string | null>(null);
  const [name, setName] = useState('');
  const [role, setRole] = useState('viewer');
  const [created, setCreated] = useState<{ name: string; key: string }>();
  const [message, setMessage] = useState<{ text: string; kind: 'info' | 'error' | 'success' }>();

  const load = async (from?: string | null) => {
    try {
      const page = await get<Page<ApiKeyInfo>>(
        `/api/v1/api-keys?limit=50${from ? `&cursor=${encodeURIComponent(from)}` : ''}`,
      );
      setKeys((list) => (from ? [...list, ...page.items] : page.items));
      setCursor(page.nextCursor);
    } catch (error) {
      setMessage({ text: messageOf(error), kind: 'error' });
    }
  };
  useEffect(() => {
    void load();
  }, []);

  const create = async (event: Event) => {
    event.preventDefault();
    try {
      const key = await call<ApiKeyInfo & { key: string }>('POST', '/api/v1/api-keys', {
        json: { name: name.trim(), role },
      });
      setCreated({ name: key.name, key: key.key });
      setName('');
      setMessage({ text: `Created key ${key.name}. Copy it now: it is shown only once.`, kind: 'success' });
      await load();
    } catch (error) {
      setMessage({ text: messageOf(error), kind: 'error' });
    }
  };

  const revoke = async (key: ApiKeyInfo) => {
    if (!confirmAction(`Revoke ${key.name}? Every request and console session using it ends at once.`))
      return;
    try {
      await call('DELETE', `/api/v1/api-keys/${key.id}`);
      setMessage({ text: `Revoked ${key.name}.`, kind: 'success' });
      await load();
    } catch (error) {
      setMessage({ text: messageOf(error), kind: 'error' });
    }
  };

  return (
    <>
      <PageHeading>API keys</PageHeading>
      <Status message={message?.text} kind={message?.kind} />
      <section aria-labelledby="create-key-heading">
        <h2 id="create-key-heading">Create a key</h2>
        <form class="grid-form" onSubmit={(e) => void create(e)}>
          <Field id="key-name" label="Name">
            <input id="key-name" value={name} required onInput={(e) => setName(e.currentTarget.value)} />
          </Field>
          <Field id="key-role" label="Role">
            <select id="key-role" value={role} onChange={(e) => setRole(e.currentTarget.value)}>
              {ROLES.map((r) => (
                <option value={r}>{r}</option>
              ))}
            </select>
          </Field>
          <div class="form-actions">
            <button type="submit">Create key</button>
          </div>
        </form>
        {created && (
          <div class="once" aria-live="polite">
            <p>
              The key <strong>{created.name}</strong> (shown once; only its hash is stored):
            </p>
            <output data-testid="created-key">{created.key}</output>
          </div>
        )}
      </section>
      <section aria-labelledby="key-list-heading">
        <h2 id="key-list-heading">All keys</h2>
        <TableWrap label="API keys table">
          <table>
            <caption>Revoked keys included</caption>
            <thead>
              <tr>
                <th scope="col">Name</th>
                <th scope="col">Role</th>
                <th scope="col">Created</th>
                <th scope="col">State</th>
              </tr>
            </thead>
            <tbody>
              {keys.map((key) => (
                <tr key={key.id}>
                  <td>{key.name}</td>
                  <td>{key.role}</td>
                  <td>{new Date(key.createdAt).toLocaleString()}</td>
                  <td>
                    {key.revokedAt ? (
                      `revoked ${new Date(key.revokedAt).toLocaleString()}`
                    ) : (
                      <button
                        type="button"
                        aria-label={`Revoke ${key.name}`}
                        onClick={() => void revoke(key)}
                      >
                        Revoke
                      </button>
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </TableWrap>
        {cursor && (
          <button type="button" onClick={() => void load(cursor)}>
            Load more keys
          </button>
        )}
      </section>
    </>
  );
}
