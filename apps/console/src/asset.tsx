import { useEffect, useState } from 'preact/hooks';
import { ApiError, call, get, ledgerWrite, type Page, type Principal, upload } from './api.ts';
import { ACTIONS, canIssue, changeStatus } from './assets.tsx';
import type { Asset, DocumentInfo, Holders, Investor, JournalEntry } from './types.ts';
import { confirmAction, describedBy, Field, messageOf, PageHeading, Status, TableWrap } from './ui.tsx';
import { formatBytes, refusalInDisplayUnits, toBaseUnits, toDisplayUnits } from './units.ts';

type Message = { text: string; kind: 'info' | 'error' | 'success' };

/** Every investor (pages of 100), for names and for the ledger forms' choices. */
export async function allInvestors(): Promise<Investor[]> {
  const all: Investor[] = [];
  let cursor: string | null = null;
  do {
    const page: Page<Investor> = await get(
      `/api/v1/investors?limit=100${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`,
    );
    all.push(...page.items);
    cursor = page.nextCursor;
  } while (cursor);
  return all;
}

const LEDGER_ACTIONS = {
  mint: { label: 'Mint', path: 'mint', from: false, to: true },
  transfer: { label: 'Transfer', path: 'transfers', from: true, to: true },
  burn: { label: 'Burn', path: 'burn', from: true, to: false },
  redeem: { label: 'Redeem', path: 'redeem', from: true, to: false },
} as const;
type LedgerAction = keyof typeof LEDGER_ACTIONS;

export function AssetPage({ id, principal }: { id: string; principal: Principal }) {
  const [asset, setAsset] = useState<Asset>();
  const [holders, setHolders] = useState<Holders>();
  const [journal, setJournal] = useState<JournalEntry[]>([]);
  const [journalCursor, setJournalCursor] = useState<string | null>(null);
  const [investors, setInvestors] = useState<Investor[]>([]);
  const [message, setMessage] = useState<Message>();

  const refresh = async () => {
    try {
      const [a, h, j] = await Promise.all([
        get<Asset>(`/api/v1/assets/${id}`),
        get<Holders>(`/api/v1/assets/${id}/holders`),
        get<Page<JournalEntry>>(`/api/v1/assets/${id}/journal?limit=20`),
      ]);
      setAsset(a);
      setHolders(h);
      setJournal(j.items);
      setJournalCursor(j.nextCursor);
    } catch (error) {
      setMessage({ text: messageOf(error), kind: 'error' });
    }
  };
  const olderJournal = async () => {
    if (!journalCursor) return;
    try {
      const page = await get<Page<JournalEntry>>(
        `/api/v1/assets/${id}/journal?limit=20&cursor=${encodeURIComponent(journalCursor)}`,
      );
      setJournal((entries) => [...entries, ...page.items]);
      setJournalCursor(page.nextCursor);
    } catch (error) {
      setMessage({ text: messageOf(error), kind: 'error' });
    }
  };
  useEffect(() => {
    void refresh();
    allInvestors().then(setInvestors, (error) => setMessage({ text: messageOf(error), kind: 'error' }));
  }, [id]);

  if (!asset) {
    return (
      <>
        <PageHeading>Asset</PageHeading>
        <Status message={message?.text ?? 'Loading…'} kind={message?.kind} />
      </>
    );
  }
  const name = (investorId: string | null) =>
    investorId ? (investors.find((i) => i.id === investorId)?.name ?? investorId) : '—';
  const units = (amount: string) => toDisplayUnits(amount, asset.decimals);

  return (
    <>
      <PageHeading>
        {asset.symbol}: {asset.name}
      </PageHeading>
      <p>
        <a href="#/assets">Back to assets</a>
      </p>
      <Status message={message?.text} kind={message?.kind} />
      <section aria-labelledby="summary-heading">
        <h2 id="summary-heading">Summary</h2>
        <dl class="summary">
          <dt>Status</dt>
          <dd data-testid="asset-status">{asset.status}</dd>
          <dt>Type</dt>
          <dd>{asset.type}</dd>
          <dt>Supply</dt>
          <dd data-testid="total-supply">{units(asset.totalSupply)}</dd>
          <dt>Maximum supply</dt>
          <dd>{asset.maxSupply === null ? 'unlimited' : units(asset.maxSupply)}</dd>
          <dt>Decimals</dt>
          <dd>{asset.decimals}</dd>
          <dt>Allowed countries</dt>
          <dd>{asset.allowedCountries?.join(', ') ?? 'any'}</dd>
        </dl>
        {canIssue(principal) && ACTIONS[asset.status].length > 0 && (
          <div class="actions">
            {ACTIONS[asset.status].map((action) => (
              <button
                type="button"
                onClick={async () => {
                  try {
                    const updated = await changeStatus(asset, action);
                    if (updated) {
                      setAsset(updated);
                      setMessage({ text: `${updated.symbol} is now ${updated.status}.`, kind: 'success' });
                    }
                  } catch (error) {
                    setMessage({ text: messageOf(error), kind: 'error' });
                  }
                }}
              >
                {action.label}
              </button>
            ))}
          </div>
        )}
      </section>
      {canIssue(principal) && (
        <LedgerForm
          asset={asset}
          investors={investors}
          onDone={(text) => {
            setMessage({ text, kind: 'success' });
            void refresh();
          }}
          onError={(text) => setMessage({ text, kind: 'error' })}
          onProgress={(text) => setMessage({ text, kind: 'info' })}
        />
      )}
      <section aria-labelledby="holders-heading">
        <h2 id="holders-heading">Holders</h2>
        <TableWrap label="Holders table">
          <table data-testid="holders">
            <caption>Balances in {asset.symbol}</caption>
            <thead>
              <tr>
                <th scope="col">Investor</th>
                <th scope="col">Balance</th>
              </tr>
            </thead>
            <tbody>
              {(holders?.holders ?? []).map((h) => (
                <tr key={h.investorId}>
                  <td>{name(h.investorId)}</td>
                  <td class="num">{units(h.balance)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </TableWrap>
      </section>
      <section aria-labelledby="journal-heading">
        <h2 id="journal-heading">Journal</h2>
        <TableWrap label="Journal table">
          <table data-testid="journal">
            <caption>Newest first</caption>
            <thead>
              <tr>
                <th scope="col">When</th>
                <th scope="col">Kind</th>
                <th scope="col">From</th>
                <th scope="col">To</th>
                <th scope="col">Amount</th>
                <th scope="col">Supply after</th>
              </tr>
            </thead>
            <tbody>
              {journal.map((e) => (
                <tr key={e.id}>
                  <td>{new Date(e.createdAt).toLocaleString()}</td>
                  <td>{e.kind}</td>
                  <td>{name(e.from)}</td>
                  <td>{name(e.to)}</td>
                  <td class="num">{units(e.amount)}</td>
                  <td class="num">{e.totalSupply === null ? '—' : units(e.totalSupply)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </TableWrap>
        {journalCursor && (
          <button type="button" onClick={() => void olderJournal()}>
            Older entries
          </button>
        )}
      </section>
      <Documents asset={asset} principal={principal} />
    </>
  );
}

function LedgerForm(props: {
  asset: Asset;
  investors: Investor[];
  onDone: (message: string) => void;
  onError: (message: string) => void;
  onProgress: (message: string) => void;
}) {
  const { asset, investors } = props;
  const [action, setAction] = useState<LedgerAction>('mint');
  const [from, setFrom] = useState('');
  const [to, setTo] = useState('');
  const [amount, setAmount] = useState('');
  const [amountError, setAmountError] = useState<string>();
  const [busy, setBusy] = useState(false);
  const spec = LEDGER_ACTIONS[action];

  const submit = async (event: Event) => {
    event.preventDefault();
    const base = toBaseUnits(amount, asset.decimals);
    if ('error' in base) {
      setAmountError(base.error);
      return;
    }
    setAmountError(undefined);
    const body: Record<string, string> = { amount: base.base };
    if (spec.from) body.from = from || investors[0]?.id || '';
    if (spec.to) body.to = to || investors[0]?.id || '';
    setBusy(true);
    try {
      await ledgerWrite(`/api/v1/assets/${asset.id}/${spec.path}`, body, props.onProgress);
      props.onDone(`${spec.label} of ${amount} ${asset.symbol} recorded.`);
      setAmount('');
    } catch (error) {
      // The API's message as it is; amounts it counts in base units are restated in display units.
      const reading =
        error instanceof ApiError
          ? refusalInDisplayUnits(error.code, error.message, asset.decimals)
          : undefined;
      props.onError(
        `${spec.label} refused: ${messageOf(error)}${reading ? ` (in ${asset.symbol}: ${reading})` : ''}`,
      );
    } finally {
      setBusy(false);
    }
  };

  const investorSelect = (id: string, label: string, value: string, onChange: (v: string) => void) => (
    <Field id={id} label={label}>
      {/* Until one is chosen, the first investor: the one a submission sends, so the select shows it. */}
      <select
        id={id}
        value={value || investors[0]?.id || ''}
        onChange={(e) => onChange(e.currentTarget.value)}
      >
        {investors.map((i) => (
          <option value={i.id}>
            {i.name} ({i.country}, {i.kycStatus})
          </option>
        ))}
      </select>
    </Field>
  );

  return (
    <section aria-labelledby="ledger-heading">
      <h2 id="ledger-heading">Ledger</h2>
      <form class="grid-form" onSubmit={(e) => void submit(e)} noValidate>
        <Field id="ledger-action" label="Action">
          <select
            id="ledger-action"
            value={action}
            onChange={(e) => setAction(e.currentTarget.value as LedgerAction)}
          >
            {Object.entries(LEDGER_ACTIONS).map(([value, a]) => (
              <option value={value}>{a.label}</option>
            ))}
          </select>
        </Field>
        {spec.from && investorSelect('ledger-from', 'From investor', from, setFrom)}
        {spec.to && investorSelect('ledger-to', 'To investor', to, setTo)}
        <Field
          id="ledger-amount"
          label={`Amount (${asset.symbol})`}
          error={amountError}
          hint={`In ${asset.symbol}, up to ${asset.decimals} decimals.`}
        >
          <input
            id="ledger-amount"
            inputMode="decimal"
            autocomplete="off"
            value={amount}
            onInput={(e) => setAmount(e.currentTarget.value)}
            aria-invalid={amountError ? 'true' : undefined}
            aria-describedby={describedBy('ledger-amount', amountError, true)}
          />
        </Field>
        <div class="form-actions">
          <button type="submit" disabled={busy}>
            {spec.label}
          </button>
        </div>
      </form>
    </section>
  );
}

function Documents({ asset, principal }: { asset: Asset; principal: Principal }) {
  const [documents, setDocuments] = useState<DocumentInfo[]>([]);
  const [progress, setProgress] = useState<number>();
  const [message, setMessage] = useState<Message>();
  const [file, setFile] = useState<File>();
  // This deployment's DOCUMENT_MAX_BYTES, from GET /api/v1/limits; undefined until it answers.
  const [maxBytes, setMaxBytes] = useState<number>();
  useEffect(() => {
    get<{ documentMaxBytes: number }>('/api/v1/limits')
      .then((limits) => setMaxBytes(limits.documentMaxBytes))
      .catch(() => undefined); // Without it the hint stays general and the API still refuses with 413.
  }, []);

  const load = async () => {
    try {
      setDocuments((await get<{ items: DocumentInfo[] }>(`/api/v1/assets/${asset.id}/documents`)).items);
    } catch (error) {
      setMessage({ text: messageOf(error), kind: 'error' });
    }
  };
  useEffect(() => {
    void load();
  }, [asset.id]);

  const send = async (event: Event) => {
    event.preventDefault();
    if (!file) {
      setMessage({ text: 'Choose a file first.', kind: 'error' });
      return;
    }
    if (maxBytes !== undefined && file.size > maxBytes) {
      setMessage({
        text: `${file.name} is larger than ${formatBytes(maxBytes)}, this platform’s limit for a document.`,
        kind: 'error',
      });
      return;
    }
    setProgress(0);
    try {
      await upload(
        `/api/v1/assets/${asset.id}/documents?name=${encodeURIComponent(file.name)}`,
        file,
        setProgress,
      );
      // The list first, then the message: once it says so, the list shows it.
      await load();
      setMessage({ text: `Uploaded ${file.name}.`, kind: 'success' });
    } catch (error) {
      setMessage({ text: `Upload refused: ${messageOf(error)}`, kind: 'error' });
    } finally {
      setProgress(undefined);
    }
  };

  const remove = async (doc: DocumentInfo) => {
    if (!confirmAction(`Delete ${doc.name}? This cannot be undone.`)) return;
    try {
      await call('DELETE', `/api/v1/assets/${asset.id}/documents/${doc.id}`);
      await load();
      setMessage({ text: `Deleted ${doc.name}.`, kind: 'success' });
    } catch (error) {
      setMessage({ text: messageOf(error), kind: 'error' });
    }
  };

  return (
    <section aria-labelledby="documents-heading">
      <h2 id="documents-heading">Documents</h2>
      <Status message={message?.text} kind={message?.kind} />
      {canIssue(principal) && (
        <form class="grid-form" onSubmit={(e) => void send(e)}>
          <Field
            id="document-file"
            label="Document file"
            hint={
              maxBytes === undefined
                ? 'Any file type, up to the platform’s size limit.'
                : `Any file type, up to ${formatBytes(maxBytes)} (this platform’s limit).`
            }
          >
            <input
              id="document-file"
              type="file"
              aria-describedby="document-file-hint"
              onChange={(e) => setFile(e.currentTarget.files?.[0])}
            />
          </Field>
          <div class="form-actions">
            <button type="submit" disabled={progress !== undefined}>
              Upload
            </button>
            {progress !== undefined && (
              <progress max={1} value={progress} aria-label="Upload progress">
                {Math.round(progress * 100)}%
              </progress>
            )}
          </div>
        </form>
      )}
      <ul class="documents">
        {documents.map((doc) => (
          <li key={doc.id}>
            <a href={`/api/v1/assets/${asset.id}/documents/${doc.id}/content`} download={doc.name}>
              {doc.name}
            </a>{' '}
            <span class="hint">
              ({doc.size} bytes, {doc.contentType})
            </span>{' '}
            {canIssue(principal) && (
              <button type="button" aria-label={`Delete ${doc.name}`} onClick={() => void remove(doc)}>
                Delete
              </button>
            )}
          </li>
        ))}
      </ul>
    </section>
  );
}
