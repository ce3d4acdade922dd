import { useState } from 'preact/hooks';
import { post, seg } from '../api.js';
import { Section, PagedTable, ActionButton, Notice, ErrorNotice, useLoad } from '../ui.jsx';
import { formatTime } from '../format.js';

function Diff({ r }) {
  const keys = new Set([...Object.keys(r.before || {}), ...Object.keys(r.after || {})]);
  if (!keys.size) return null;
  return (
    <details>
      <summary>changes</summary>
      <ul class="diff">
        {[...keys].map((k) => (
          <li>
            <code>{k}</code>: {JSON.stringify((r.before || {})[k] ?? null)} → {JSON.stringify((r.after || {})[k] ?? null)}
          </li>
        ))}
      </ul>
    </details>
  );
}

function DomainFilter({ value, set, id }) {
  const d = useLoad('/domains?limit=1000');
  return (
    <div class="filter">
      <label for={id}>Domain</label>
      <select id={id} value={value} onChange={(e) => set(e.currentTarget.value)}>
        <option value="">All in my scope</option>
        {((d.data && d.data.items) || []).map((x) => (
          <option value={x.name}>{x.name}</option>
        ))}
      </select>
    </div>
  );
}

export function Audit({ me }) {
  const [domain, setDomain] = useState('');
  return (
    <>
      <h1>Audit log</h1>
      <p class="help">Every change, newest first: who, when, from where (and with which token), what changed. Secrets are never recorded.</p>
      <DomainFilter value={domain} set={setDomain} id="audit-domain" />
      <PagedTable
        path="/audit"
        params={{ domain }}
        pageSize={50}
        text={(r) => `${r.actor} ${r.verb} ${r.target} ${r.ip || ''}`}
        empty="No records."
        columns={[
          { label: 'When', render: (r) => formatTime(r.at) },
          { label: 'Who', render: (r) => `${r.actor}${r.token_id ? ` (token #${r.token_id})` : ''}` },
          { label: 'From', render: (r) => `${r.source}${r.ip ? ' ' + r.ip : ''}` },
          { label: 'Did', render: (r) => <code>{r.verb}</code> },
          { label: 'To', key: 'target' },
          { label: 'Changes', render: (r) => <Diff r={r} /> },
        ]}
      />
    </>
  );
}

export function Deleted({ me }) {
  const [domain, setDomain] = useState('');
  const [n, setN] = useState(0);
  const [msg, setMsg] = useState(null);
  const d = useLoad('/deleted' + (domain ? '?domain=' + seg(domain) : ''), [n]);
  return (
    <>
      <h1>Deleted items</h1>
      <p class="help">Deleted domains and mailboxes keep their mail for the retention period (30 days by default) and can be restored until then; their addresses stay reserved.</p>
      <DomainFilter value={domain} set={setDomain} id="deleted-domain" />
      <Notice>{msg}</Notice>
      <ErrorNotice error={d.error} />
      {d.data && (
        <>
          <Section title="Domains">
            {d.data.domains.length === 0 ? (
              <p class="empty">No deleted domains.</p>
            ) : (
              <ul class="plain">
                {d.data.domains.map((x) => (
                  <li>
                    {x.name}, deleted {formatTime(x.deleted_at)}{' '}
                    <ActionButton label="Restore" ariaLabel={`Restore ${x.name}`} action={() => post(`/domains/${seg(x.name)}/restore`)} onDone={() => { setMsg(`${x.name} restored.`); setN(n + 1); }} />
                  </li>
                ))}
              </ul>
            )}
          </Section>
          <Section title="Mailboxes">
            {d.data.mailboxes.length === 0 ? (
              <p class="empty">No deleted mailboxes.</p>
            ) : (
              <ul class="plain">
                {d.data.mailboxes.map((x) => (
                  <li>
                    {x.address}, deleted {formatTime(x.deleted_at)}{' '}
                    <ActionButton label="Restore" ariaLabel={`Restore ${x.address}`} action={() => post(`/mailboxes/${seg(x.address)}/restore`)} onDone={() => { setMsg(`${x.address} restored with its mail.`); setN(n + 1); }} />
                    {(me.role === 'admin' || me.role === 'customer' || me.role === 'manager') && (
                      <ActionButton label="Purge" kind="danger" ariaLabel={`Purge ${x.address}`} confirm={`Purge ${x.address} and its mail for good? This cannot be undone.`} action={() => post(`/mailboxes/${seg(x.address)}/purge`)} onDone={() => { setMsg(`${x.address} purged.`); setN(n + 1); }} />
                    )}
                  </li>
                ))}
              </ul>
            )}
          </Section>
        </>
      )}
    </>
  );
}
