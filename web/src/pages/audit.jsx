import { useState } from 'preact/hooks';
import { post, seg } from '../api.js';
import { Section, PagedTable, ActionButton, Notice, ErrorNotice, DomainFilter, useLoad } from '../ui.jsx';
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

// Deleted domains or mailboxes (`kind` is their API collection) with restore and purge.
function DeletedList({ title, items, name, kind, canPurge, done }) {
  return (
    <Section title={title}>
      {items.length === 0 ? (
        <p class="empty">No deleted {title.toLowerCase()}.</p>
      ) : (
        <ul class="plain">
          {items.map((x) => (
            <li>
              {name(x)}, deleted {formatTime(x.deleted_at)}{' '}
              <ActionButton label="Restore" ariaLabel={`Restore ${name(x)}`} action={() => post(`/${kind}/${seg(name(x))}/restore`)} onDone={() => done(`${name(x)} restored with its mail.`)} />
              {canPurge && (
                <ActionButton
                  label="Purge"
                  kind="danger"
                  ariaLabel={`Purge ${name(x)}`}
                  confirm={`Purge ${name(x)} and its mail for good? This cannot be undone.`}
                  action={() => post(`/${kind}/${seg(name(x))}/purge`)}
                  onDone={() => done(`${name(x)} purged.`)}
                />
              )}
            </li>
          ))}
        </ul>
      )}
    </Section>
  );
}

export function Deleted({ me }) {
  const [domain, setDomain] = useState('');
  const [n, setN] = useState(0);
  const [msg, setMsg] = useState(null);
  const d = useLoad('/deleted' + (domain ? '?domain=' + seg(domain) : ''), [n]);
  const canPurge = me.role === 'admin' || me.role === 'customer' || me.role === 'manager';
  const done = (text) => {
    setMsg(text);
    setN(n + 1);
  };
  return (
    <>
      <h1>Deleted items</h1>
      <p class="help">Deleted domains and mailboxes keep their mail for the retention period (30 days by default) and can be restored until then; their addresses stay reserved.</p>
      <DomainFilter value={domain} set={setDomain} id="deleted-domain" />
      <Notice>{msg}</Notice>
      <ErrorNotice error={d.error} />
      {d.data && (
        <>
          <DeletedList title="Domains" items={d.data.domains} name={(x) => x.name} kind="domains" canPurge={canPurge} done={done} />
          <DeletedList title="Mailboxes" items={d.data.mailboxes} name={(x) => x.address} kind="mailboxes" canPurge={canPurge} done={done} />
        </>
      )}
    </>
  );
}
