import { useEffect, useState } from 'preact/hooks';
import { call, type Principal } from './api.ts';
import { allInvestors } from './asset.tsx';
import { type Investor, KYC_STATUSES } from './types.ts';
import { describedBy, Field, fieldOf, messageOf, PageHeading, Status, TableWrap } from './ui.tsx';

const canVet = (principal: Principal) => principal.role === 'admin' || principal.role === 'compliance';

export function InvestorsPage({ principal }: { principal: Principal }) {
  const [investors, setInvestors] = useState<Investor[]>([]);
  const [message, setMessage] = useState<{ text: string; kind: 'info' | 'error' | 'success' }>();
  const [form, setForm] = useState({ name: '', country: '', kycStatus: 'pending' });
  const [errors, setErrors] = useState<Record<string, string>>({});

  useEffect(() => {
    allInvestors().then(setInvestors, (error) => setMessage({ text: messageOf(error), kind: 'error' }));
  }, []);

  const register = async (event: Event) => {
    event.preventDefault();
    try {
      const investor = await call<Investor>('POST', '/api/v1/investors', {
        json: {
          name: form.name.trim(),
          country: form.country.trim().toUpperCase(),
          kycStatus: form.kycStatus,
        },
      });
      setInvestors((list) => [...list, investor]);
      setErrors({});
      setForm({ name: '', country: '', kycStatus: 'pending' });
      setMessage({ text: `Registered ${investor.name}.`, kind: 'success' });
    } catch (error) {
      const field = fieldOf(error);
      setErrors(field ? { [field]: messageOf(error) } : {});
      setMessage({ text: messageOf(error), kind: 'error' });
    }
  };

  const update = async (investor: Investor, patch: Partial<Investor>) => {
    try {
      const updated = await call<Investor>('PATCH', `/api/v1/investors/${investor.id}`, { json: patch });
      setInvestors((list) => list.map((i) => (i.id === updated.id ? updated : i)));
      setMessage({
        text: `${updated.name}: KYC ${updated.kycStatus}, country ${updated.country}.`,
        kind: 'success',
      });
    } catch (error) {
      setMessage({ text: messageOf(error), kind: 'error' });
    }
  };

  return (
    <>
      <PageHeading>Investors</PageHeading>
      <Status message={message?.text} kind={message?.kind} />
      {canVet(principal) && (
        <section aria-labelledby="register-heading">
          <h2 id="register-heading">Register an investor</h2>
          <form class="grid-form" onSubmit={(e) => void register(e)} noValidate>
            <Field id="investor-name" label="Name" error={errors.name}>
              <input
                id="investor-name"
                value={form.name}
                onInput={(e) => setForm({ ...form, name: e.currentTarget.value })}
                aria-describedby={describedBy('investor-name', errors.name)}
              />
            </Field>
            <Field id="investor-country" label="Country" error={errors.country} hint="ISO code, e.g. BE.">
              <input
                id="investor-country"
                value={form.country}
                maxLength={2}
                autocomplete="country"
                onInput={(e) => setForm({ ...form, country: e.currentTarget.value })}
                aria-describedby={describedBy('investor-country', errors.country, true)}
              />
            </Field>
            <Field id="investor-kyc" label="KYC status">
              <select
                id="investor-kyc"
                value={form.kycStatus}
                onChange={(e) => setForm({ ...form, kycStatus: e.currentTarget.value })}
              >
                {KYC_STATUSES.map((s) => (
                  <option value={s}>{s}</option>
                ))}
              </select>
            </Field>
            <div class="form-actions">
              <button type="submit">Register investor</button>
            </div>
          </form>
        </section>
      )}
      <section aria-labelledby="investor-list-heading">
        <h2 id="investor-list-heading">All investors</h2>
        <TableWrap label="Investors table">
          <table>
            <caption>{investors.length} investors</caption>
            <thead>
              <tr>
                <th scope="col">Name</th>
                <th scope="col">Country</th>
                <th scope="col">KYC</th>
              </tr>
            </thead>
            <tbody>
              {investors.map((investor) => (
                <tr key={investor.id}>
                  <td>{investor.name}</td>
                  <td>
                    {canVet(principal) ? (
                      <input
                        class="country"
                        aria-label={`Country of ${investor.name}`}
                        value={investor.country}
                        maxLength={2}
                        onChange={(e) => {
                          const country = e.currentTarget.value.trim().toUpperCase();
                          if (country !== investor.country) void update(investor, { country });
                        }}
                      />
                    ) : (
                      investor.country
                    )}
                  </td>
                  <td>
                    {canVet(principal) ? (
                      <select
                        aria-label={`KYC status of ${investor.name}`}
                        value={investor.kycStatus}
                        onChange={(e) =>
                          void update(investor, { kycStatus: e.currentTarget.value as Investor['kycStatus'] })
                        }
                      >
                        {KYC_STATUSES.map((s) => (
                          <option value={s}>{s}</option>
                        ))}
                      </select>
                    ) : (
                      investor.kycStatus
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </TableWrap>
      </section>
    </>
  );
}
