import { useState } from 'preact/hooks';
import { post, put, del, get, seg } from '../api.js';
import { Form, Section, PagedTable, Link, ActionButton, Notice, ErrorNotice, useLoad, useLocation, navigate } from '../ui.jsx';
import { limitFields, LimitsForm, UsageBars } from './limits.jsx';
import { MailboxList } from './mailboxes.jsx';
import { DomainSpamPolicy } from './quarantine.jsx';
import { formatTime, formatBytes } from '../format.js';

export function Domains({ me }) {
  const { query } = useLocation();
  const customer = query.get('customer') || '';
  const [status, setStatus] = useState('');
  const [n, setN] = useState(0);
  const [done, setDone] = useState(null);
  const full = me.role === 'admin' || me.role === 'customer' || me.manager_kind === 'full';
  const managers = useLoad(me.role === 'customer' || (me.role === 'admin' && customer) ? `/managers?limit=1000${customer ? '&customer=' + seg(customer) : ''}` : null);
  const mOpts = [{ value: '', label: '(none)' }, ...((managers.data && managers.data.items) || []).map((m) => ({ value: m.login }))];
  return (
    <>
      <h1>Domains{customer ? ` of ${customer}` : ''}</h1>
      <div class="filter">
        <label for="dom-status">Show</label>
        <select id="dom-status" value={status} onChange={(e) => setStatus(e.currentTarget.value)}>
          <option value="">All domains</option>
          <option value="active">Active</option>
          <option value="deleted">Deleted</option>
        </select>
      </div>
      <PagedTable
        path="/domains"
        params={{ customer, status }}
        reloadKey={n}
        text={(d) => d.name}
        empty="No domains yet."
        columns={[
          { label: 'Domain', render: (d) => <Link href={`/domains/${seg(d.name)}`}>{d.name}</Link> },
          { label: 'Status', render: (d) => <span class={'badge ' + d.status}>{d.status}</span> },
          { label: 'Mailboxes at most', render: (d) => d.limits.max_mailboxes ?? '—' },
          { label: 'Created', render: (d) => formatTime(d.created_at) },
        ]}
      />
      {full && (
        <Section title="Add a domain">
          <p class="help">Adding a domain creates its postmaster, postmaster@domain, who administers that domain within the limits you set.</p>
          <Notice>{done}</Notice>
          <Form
            name="Add domain"
            submit="Add domain"
            resetOnDone
            fields={[
              { name: 'name', label: 'Domain name', required: true, placeholder: 'example.com' },
              ...(me.role === 'admin' ? [{ name: 'customer', label: 'Customer', required: true, value: customer }] : []),
              { name: 'postmaster_password', label: 'Postmaster password', type: 'password', help: 'Empty: the postmaster cannot sign in until one is set.' },
              ...(mOpts.length > 1 ? [{ name: 'manager', label: 'Assign to manager', type: 'select', options: mOpts }] : []),
              ...limitFields(false),
            ]}
            onSubmit={(v) => post('/domains', v)}
            onDone={(d) => {
              setDone(`Domain ${d.name} added; its postmaster is postmaster@${d.name}.`);
              setN(n + 1);
            }}
          />
        </Section>
      )}
    </>
  );
}

// DNS records helper, shown only when the server offers the route.
function DnsRecords({ domain }) {
  const spec = useLoad('/openapi.json');
  const has = spec.data && spec.data.paths && spec.data.paths['/api/v1/domains/{domain}/dns'];
  const recs = useLoad(has ? `/domains/${seg(domain)}/dns` : null);
  if (!has) return null;
  const items = recs.data ? recs.data.records || recs.data.items || [] : [];
  return (
    <Section title="DNS records">
      <p class="help">Publish these records at your DNS provider so mail for {domain} reaches this server and is trusted.</p>
      <ErrorNotice error={recs.error} />
      <div class="table-wrap">
        <table>
          <thead>
            <tr>
              <th scope="col">Type</th>
              <th scope="col">Name</th>
              <th scope="col">Value</th>
            </tr>
          </thead>
          <tbody>
            {items.map((r) => (
              <tr>
                <td data-label="Type">{r.type}</td>
                <td data-label="Name">
                  <code>{r.name}</code>
                </td>
                <td data-label="Value">
                  <code class="wrap">{r.value ?? r.content}</code>
                  {r.purpose || r.note ? <p class="help">{r.purpose || r.note}</p> : null}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </Section>
  );
}

function Aliases({ domain, canEdit }) {
  const [n, setN] = useState(0);
  return (
    <>
      <PagedTable
        path="/aliases"
        params={{ domain }}
        reloadKey={n}
        text={(a) => a.address + ' ' + a.targets.join(' ')}
        empty="No aliases."
        columns={[
          { label: 'Alias', key: 'address' },
          { label: 'Delivers to', render: (a) => a.targets.join(', ') },
          {
            label: 'Actions',
            render: (a) =>
              canEdit && (
                <ActionButton label="Delete" kind="danger" ariaLabel={`Delete alias ${a.address}`} confirm={`Delete alias ${a.address}?`} action={() => del(`/aliases/${seg(a.address)}`)} onDone={() => setN(n + 1)} />
              ),
          },
        ]}
      />
      {canEdit && (
        <Form
          name="Set alias"
          submit="Save alias"
          resetOnDone
          fields={[
            { name: 'address', label: 'Alias address', required: true, help: `e.g. sales@${domain}. An existing alias is replaced.` },
            { name: 'targets', label: 'Delivers to', type: 'list', required: true, help: 'Addresses, comma separated.' },
          ]}
          onSubmit={(v) => put(`/aliases/${seg(v.address.includes('@') ? v.address : v.address + '@' + domain)}`, { targets: v.targets })}
          onDone={() => setN(n + 1)}
        />
      )}
    </>
  );
}

// Other domain names whose mail goes to this domain's mailboxes and aliases (user@alias is
// delivered as user@domain). Adding and removing needs domain.edit (customer and managers).
function DomainAliases({ domain, canEdit }) {
  const [n, setN] = useState(0);
  const [msg, setMsg] = useState(null);
  return (
    <>
      <p class="help">Mail to any address at a domain alias is delivered as if it were sent to the same address at {domain}.</p>
      <Notice>{msg}</Notice>
      <PagedTable
        path={`/domains/${seg(domain)}/aliases`}
        reloadKey={n}
        caption={`Domain aliases of ${domain}`}
        empty="No domain aliases."
        columns={[
          { label: 'Domain alias', key: 'name' },
          {
            label: 'Actions',
            render: (a) =>
              canEdit && (
                <ActionButton
                  label="Remove"
                  kind="danger"
                  ariaLabel={`Remove domain alias ${a.name}`}
                  confirm={`Remove the domain alias ${a.name}? Mail to it will be refused.`}
                  action={() => del(`/domain-aliases/${seg(a.name)}`)}
                  onDone={() => {
                    setMsg(`Domain alias ${a.name} removed.`);
                    setN(n + 1);
                  }}
                />
              ),
          },
        ]}
      />
      {canEdit && (
        <Form
          name="Add domain alias"
          submit="Add domain alias"
          resetOnDone
          fields={[{ name: 'alias', label: 'Domain alias', required: true, placeholder: 'example.net', help: 'Publish MX records for it pointing here too.' }]}
          onSubmit={(v) => put(`/domains/${seg(domain)}/aliases/${seg(v.alias.trim())}`)}
          onDone={() => {
            setMsg('Domain alias added.');
            setN(n + 1);
          }}
        />
      )}
    </>
  );
}

function Forwards({ domain }) {
  const [n, setN] = useState(0);
  return (
    <>
      <PagedTable
        path="/forwards"
        params={{ domain }}
        reloadKey={n}
        text={(f) => f.address + ' ' + f.to.join(' ')}
        empty="No mailbox forwards its mail."
        columns={[
          { label: 'Mailbox', key: 'address' },
          { label: 'Forwards to', render: (f) => f.to.join(', ') },
          { label: 'Keeps a copy', render: (f) => (f.keep_copy ? 'yes' : 'no') },
          {
            label: 'Actions',
            render: (f) => (
              <ActionButton label="Stop" ariaLabel={`Stop forwarding ${f.address}`} action={() => put(`/mailboxes/${seg(f.address)}/forward`, { targets: [] })} onDone={() => setN(n + 1)} />
            ),
          },
        ]}
      />
      <Form
        name="Set forward"
        submit="Save forward"
        resetOnDone
        fields={[
          { name: 'address', label: 'Mailbox', required: true, help: `e.g. info@${domain}` },
          { name: 'targets', label: 'Forward to', type: 'list', required: true },
          { name: 'keep_copy', label: 'Keep a copy in the mailbox', type: 'checkbox', value: true },
        ]}
        onSubmit={(v) => put(`/mailboxes/${seg(v.address.includes('@') ? v.address : v.address + '@' + domain)}/forward`, { targets: v.targets, keep_copy: v.keep_copy })}
        onDone={() => setN(n + 1)}
      />
    </>
  );
}

const TABS = [
  ['mailboxes', 'Mailboxes'],
  ['aliases', 'Aliases'],
  ['forwards', 'Forwards'],
  ['settings', 'Limits and settings'],
];

export function DomainPage({ me, domain }) {
  const { query } = useLocation();
  const tab = query.get('tab') || 'mailboxes';
  const d = useLoad(`/domains/${seg(domain)}`);
  const [msg, setMsg] = useState(null);
  if (d.error)
    return (
      <>
        <h1>Domain {domain}</h1>
        <ErrorNotice error={d.error} />
      </>
    );
  if (!d.data) return <p class="loading">Loading…</p>;
  const dom = d.data;
  const pm = me.role === 'postmaster';
  const tpl = me.role === 'admin' ? `/templates?customer=%23${dom.customer_id}` : '/templates';
  return (
    <>
      <h1>Domain {dom.name}</h1>
      {dom.status === 'deleted' && (
        <div class="notice warn" role="status">
          This domain is deleted (since {formatTime(dom.deleted_at)}). <ActionButton label="Restore domain" action={() => post(`/domains/${seg(dom.name)}/restore`)} onDone={d.reload} />
        </div>
      )}
      <UsageBars usage={dom.usage} limits={dom.limits} />
      <nav class="tabs" aria-label="Domain sections">
        {TABS.map(([k, label]) => (
          <Link href={`/domains/${seg(dom.name)}?tab=${k}`} aria-current={tab === k ? 'page' : undefined}>
            {label}
          </Link>
        ))}
      </nav>
      {tab === 'mailboxes' && (
        <Section title="Mailboxes">
          <MailboxList domain={dom.name} templatesPath={tpl} can={{ create: true, edit: true, password: true, delete: true, restore: true, quota: true }} />
        </Section>
      )}
      {tab === 'aliases' && (
        <Section title="Aliases">
          <Aliases domain={dom.name} canEdit />
        </Section>
      )}
      {tab === 'forwards' && (
        <Section title="Forwards">
          <Forwards domain={dom.name} />
        </Section>
      )}
      {tab === 'settings' && (
        <>
          <Notice>{msg}</Notice>
          {!pm && (
            <Section title="Limits">
              <LimitsForm
                limits={dom.limits}
                withDomains={false}
                onSubmit={(v) => put(`/domains/${seg(dom.name)}/limits`, v)}
                onDone={() => {
                  setMsg('Limits saved.');
                  d.reload();
                }}
              />
            </Section>
          )}
          <Section title="Domain aliases">
            <DomainAliases domain={dom.name} canEdit={!pm && dom.status !== 'deleted'} />
          </Section>
          <DomainSpamPolicy domain={dom.name} />
          <Section title="Catch-all">
            <Form
              name="Catch-all"
              submit="Save catch-all"
              fields={[{ name: 'target', label: 'Deliver mail for unknown addresses to', value: dom.catchall || '', help: 'Empty: unknown addresses are refused.' }]}
              onSubmit={(v) => put(`/domains/${seg(dom.name)}/catchall`, { target: v.target || null })}
              onDone={() => {
                setMsg('Catch-all saved.');
                d.reload();
              }}
            />
          </Section>
          {!pm && (
            <Section title="Postmaster password">
              <Form
                name="Postmaster password"
                submit="Set postmaster password"
                resetOnDone
                fields={[{ name: 'password', label: `New password for postmaster@${dom.name}`, type: 'password', required: true }]}
                onSubmit={(v) => put(`/domains/${seg(dom.name)}/postmaster-password`, v)}
                onDone={() => setMsg('Postmaster password set.')}
              />
            </Section>
          )}
          <DnsRecords domain={dom.name} />
          {!pm && dom.status !== 'deleted' && (
            <Section title="Delete this domain">
              <p>Deleting keeps the domain, its mailboxes and their mail for the retention period; it can be restored until then.</p>
              <ActionButton
                label={`Delete ${dom.name}`}
                kind="danger"
                confirm={`Delete ${dom.name} and all its mailboxes? It can be restored during the retention period.`}
                action={() => del(`/domains/${seg(dom.name)}`)}
                onDone={d.reload}
              />
            </Section>
          )}
        </>
      )}
    </>
  );
}
