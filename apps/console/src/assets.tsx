import { useEffect, useRef, useState } from 'preact/hooks';
import { call, get, type Page, type Principal } from './api.ts';
import { ASSET_STATUSES, ASSET_TYPES, type Asset } from './types.ts';
import {
  confirmAction,
  describedBy,
  Field,
  fieldOf,
  messageOf,
  PageHeading,
  Status,
  TableWrap,
} from './ui.tsx';
import { toBaseUnits, toDisplayUnits } from './units.ts';

/** The lifecycle actions the API allows from each status (domain/assets.ts in dapp). */
export const ACTIONS: Record<Asset['status'], Array<{ label: string; to: Asset['status'] }>> = {
  draft: [{ label: 'Activate', to: 'active' }],
  active: [
    { label: 'Pause', to: 'paused' },
    { label: 'Close', to: 'closed' },
  ],
  paused: [
    { label: 'Resume', to: 'active' },
    { label: 'Close', to: 'closed' },
  ],
  closed: [],
};

export const canIssue = (principal: Principal) => principal.role === 'admin' || principal.role === 'issuer';

/** Asks, then changes an asset's status; returns the updated asset or throws the API's refusal. */
export async function changeStatus(asset: Asset, action: { label: string; to: Asset['status'] }) {
  if (!confirmAction(`${action.label} ${asset.symbol} (${asset.name})? Its status becomes "${action.to}".`)) {
    return undefined;
  }
  return call<Asset>('POST', `/api/v1/assets/${asset.id}/status`, { json: { status: action.to } });
}

export function AssetsPage({ principal }: { principal: Principal }) {
  const [assets, setAssets] = useState<Asset[]>([]);
  const [cursor, setCursor] = useState<string | null>(null);
  const [search, setSearch] = useState('');
  const [type, setType] = useState('');
  const [status, setStatus] = useState('');
  const [message, setMessage] = useState<{ text: string; kind: 'info' | 'error' | 'success' }>();

  // The filters as the last listing request sent them: the API filters (GET /assets?type&status&q) and a
  // cursor only pages the filtered list it came from, so "Load more" sends the same filters again.
  const [applied, setApplied] = useState({ q: '', type: '', status: '' });
  // Answers can come back out of order while someone types; only the newest request's answer is shown.
  const latest = useRef(0);

  const load = async (filters: typeof applied, from?: string | null) => {
    const request = ++latest.current;
    const query = new URLSearchParams({ limit: '50' });
    if (filters.q) query.set('q', filters.q);
    if (filters.type) query.set('type', filters.type);
    if (filters.status) query.set('status', filters.status);
    if (from) query.set('cursor', from);
    try {
      const page = await get<Page<Asset>>(`/api/v1/assets?${query}`);
      if (request !== latest.current) return;
      setAssets((previous) => (from ? [...previous, ...page.items] : page.items));
      setCursor(page.nextCursor);
      setApplied(filters);
    } catch (error) {
      if (request === latest.current) setMessage({ text: messageOf(error), kind: 'error' });
    }
  };
  // A new search or filter lists from the start; typing waits for a pause so each key is not a request.
  useEffect(() => {
    const filters = { q: search.trim(), type, status };
    const timer = setTimeout(() => void load(filters), filters.q === applied.q ? 0 : 250);
    return () => clearTimeout(timer);
  }, [search, type, status]);

  const act = async (asset: Asset, action: { label: string; to: Asset['status'] }) => {
    try {
      const updated = await changeStatus(asset, action);
      if (!updated) return;
      setAssets((list) => list.map((a) => (a.id === updated.id ? updated : a)));
      setMessage({ text: `${updated.symbol} is now ${updated.status}.`, kind: 'success' });
    } catch (error) {
      setMessage({ text: messageOf(error), kind: 'error' });
    }
  };

  return (
    <>
      <PageHeading>Assets</PageHeading>
      <Status message={message?.text} kind={message?.kind} />
      {canIssue(principal) && (
        <CreateAsset
          onCreated={(asset) => {
            setAssets((list) => [asset, ...list]);
            setMessage({ text: `Created ${asset.symbol} as a draft.`, kind: 'success' });
          }}
        />
      )}
      <section aria-labelledby="asset-list-heading">
        <h2 id="asset-list-heading">All assets</h2>
        <search class="filters">
          <Field id="asset-search" label="Search symbol or name">
            <input
              id="asset-search"
              type="search"
              maxLength={100}
              value={search}
              onInput={(e) => setSearch(e.currentTarget.value)}
            />
          </Field>
          <Field id="asset-type-filter" label="Filter by type">
            <select id="asset-type-filter" value={type} onChange={(e) => setType(e.currentTarget.value)}>
              <option value="">All types</option>
              {ASSET_TYPES.map((t) => (
                <option value={t}>{t}</option>
              ))}
            </select>
          </Field>
          <Field id="asset-status-filter" label="Filter by status">
            <select
              id="asset-status-filter"
              value={status}
              onChange={(e) => setStatus(e.currentTarget.value)}
            >
              <option value="">All statuses</option>
              {ASSET_STATUSES.map((s) => (
                <option value={s}>{s}</option>
              ))}
            </select>
          </Field>
        </search>
        <TableWrap label="Assets table">
          <table>
            <caption>
              {assets.length} {assets.length === 1 ? 'asset' : 'assets'}
              {applied.q || applied.type || applied.status ? ' matching the filters' : ''}
              {cursor ? ', more to load' : ''}
            </caption>
            <thead>
              <tr>
                <th scope="col">Symbol</th>
                <th scope="col">Name</th>
                <th scope="col">Type</th>
                <th scope="col">Status</th>
                <th scope="col">Supply</th>
                {canIssue(principal) && <th scope="col">Actions</th>}
              </tr>
            </thead>
            <tbody>
              {assets.map((asset) => (
                <tr key={asset.id}>
                  <td>
                    <a href={`#/assets/${asset.id}`}>{asset.symbol}</a>
                  </td>
                  <td>{asset.name}</td>
                  <td>{asset.type}</td>
                  <td>{asset.status}</td>
                  <td class="num">{toDisplayUnits(asset.totalSupply, asset.decimals)}</td>
                  {canIssue(principal) && (
                    <td class="actions">
                      {ACTIONS[asset.status].map((action) => (
                        <button
                          type="button"
                          aria-label={`${action.label} ${asset.symbol}`}
                          onClick={() => void act(asset, action)}
                        >
                          {action.label}
                        </button>
                      ))}
                    </td>
                  )}
                </tr>
              ))}
            </tbody>
          </table>
        </TableWrap>
        {cursor && (
          <button type="button" onClick={() => void load(applied, cursor)}>
            Load more assets
          </button>
        )}
      </section>
    </>
  );
}

function CreateAsset({ onCreated }: { onCreated: (asset: Asset) => void }) {
  const [form, setForm] = useState({
    symbol: '',
    name: '',
    type: 'equity',
    decimals: '0',
    maxSupply: '',
    allowedCountries: '',
    faceValue: '',
    maturityDate: '',
  });
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [busy, setBusy] = useState(false);
  const set = (name: keyof typeof form) => (e: { currentTarget: { value: string } }) =>
    setForm({ ...form, [name]: e.currentTarget.value });

  const submit = async (event: Event) => {
    event.preventDefault();
    const found: Record<string, string> = {};
    const decimals = Number(form.decimals);
    if (!Number.isInteger(decimals) || decimals < 0 || decimals > 18)
      found.decimals = 'A whole number from 0 to 18.';
    const body: Record<string, unknown> = {
      symbol: form.symbol.trim(),
      name: form.name.trim(),
      type: form.type,
      decimals,
    };
    for (const field of ['maxSupply', 'faceValue'] as const) {
      if (!form[field].trim() || found.decimals) continue;
      const amount = toBaseUnits(form[field], decimals);
      if ('error' in amount) found[field] = amount.error;
      else body[field] = amount.base;
    }
    if (form.allowedCountries.trim()) {
      body.allowedCountries = form.allowedCountries
        .split(/[\s,]+/)
        .filter(Boolean)
        .map((c) => c.toUpperCase());
    }
    if (form.type === 'bond' && form.maturityDate) body.maturityDate = form.maturityDate;
    setErrors(found);
    if (Object.keys(found).length > 0) return;
    setBusy(true);
    try {
      const asset = await call<Asset>('POST', '/api/v1/assets', { json: body });
      onCreated(asset);
      setForm({ ...form, symbol: '', name: '', maxSupply: '', faceValue: '', maturityDate: '' });
    } catch (error) {
      const field = fieldOf(error);
      setErrors(field ? { [field]: messageOf(error) } : { form: messageOf(error) });
    } finally {
      setBusy(false);
    }
  };

  const input = (
    name: keyof typeof form,
    label: string,
    extra: Record<string, unknown> = {},
    hint?: string,
  ) => (
    <Field id={`asset-${name}`} label={label} error={errors[name]} hint={hint}>
      <input
        id={`asset-${name}`}
        name={name}
        value={form[name]}
        onInput={set(name)}
        aria-invalid={errors[name] ? 'true' : undefined}
        aria-describedby={describedBy(`asset-${name}`, errors[name], Boolean(hint))}
        {...extra}
      />
    </Field>
  );

  return (
    <section aria-labelledby="create-asset-heading">
      <h2 id="create-asset-heading">Create an asset</h2>
      <form class="grid-form" onSubmit={(e) => void submit(e)} noValidate>
        {input('symbol', 'Symbol', { required: true, autocomplete: 'off' }, 'Upper case, e.g. ACME.')}
        {input('name', 'Name', { required: true })}
        <Field id="asset-type" label="Type">
          <select id="asset-type" value={form.type} onChange={set('type')}>
            {ASSET_TYPES.map((t) => (
              <option value={t}>{t}</option>
            ))}
          </select>
        </Field>
        {input(
          'decimals',
          'Decimals',
          { inputMode: 'numeric' },
          '0 to 18; amounts are entered in these units.',
        )}
        {input('maxSupply', 'Maximum supply (optional)', { inputMode: 'decimal' })}
        {input('allowedCountries', 'Allowed countries (optional)', {}, 'ISO codes, e.g. BE, NL. Empty: any.')}
        {form.type === 'bond' && input('faceValue', 'Face value', { inputMode: 'decimal' })}
        {form.type === 'bond' && input('maturityDate', 'Maturity date', { type: 'date' })}
        <div class="form-actions">
          <button type="submit" disabled={busy}>
            Create asset
          </button>
        </div>
        {errors.form && <Status message={errors.form} kind="error" />}
      </form>
    </section>
  );
}
