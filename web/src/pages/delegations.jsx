import { useState } from 'preact/hooks';
import { post, del, seg } from '../api.js';
import { Form, Section, PagedTable, ActionButton, Notice, useLoad, useLocation } from '../ui.jsx';
import { formatTime } from '../format.js';

const DELEGABLE = [
  ['mailbox.create', 'create mailboxes (from the templates below)'],
  ['mailbox.delete', 'delete mailboxes'],
  ['mailbox.restore', 'restore deleted mailboxes'],
  ['mailbox.password', 'reset passwords'],
  ['mailbox.edit', 'edit mailboxes'],
  ['alias.edit', 'edit aliases'],
  ['forward.edit', 'edit forwards'],
];

export function Delegations({ me }) {
  const { query } = useLocation();
  const customer = query.get('customer') || '';
  const [n, setN] = useState(0);
  const [msg, setMsg] = useState(null);
  const cq = customer ? '&customer=' + seg(customer) : '';
  const domains = useLoad('/domains?limit=1000' + cq);
  const templates = useLoad('/templates?limit=1000' + cq);
  const doms = ((domains.data && domains.data.items) || []).filter((d) => d.status !== 'deleted');
  const tpls = (templates.data && templates.data.items) || [];
  const dName = Object.fromEntries(doms.map((d) => [d.id, d.name]));
  const tName = Object.fromEntries(tpls.map((t) => [t.id, t.name]));
  return (
    <>
      <h1>Delegations</h1>
      <p class="help">
        A delegation lets another login — for example HR — do chosen things to the mailboxes of chosen domains, and nothing else: it is
        the User Manager. It can never exceed what you hold yourself.
      </p>
      <Notice>{msg}</Notice>
      <PagedTable
        path="/delegations"
        params={{ customer }}
        reloadKey={n + ':' + doms.length}
        text={(d) => (d.grantee || '') + ' ' + d.verbs.join(' ')}
        empty="No delegations."
        columns={[
          { label: 'Grantee', render: (d) => d.grantee || '(deleted login)' },
          { label: 'May', render: (d) => d.verbs.join(', ') },
          { label: 'Domains', render: (d) => d.domain_ids.map((id) => dName[id] || '#' + id).join(', ') },
          { label: 'Templates', render: (d) => d.template_ids.map((id) => tName[id] || '#' + id).join(', ') || '—' },
          { label: 'Expires', render: (d) => (d.expires_at ? formatTime(d.expires_at) : 'never') },
          {
            label: 'Actions',
            render: (d) => (
              <ActionButton label="Revoke" kind="danger" ariaLabel={`Revoke delegation to ${d.grantee}`} confirm={`Revoke the delegation to ${d.grantee}?`} action={() => del(`/delegations/${d.id}`)} onDone={() => setN(n + 1)} />
            ),
          },
        ]}
      />
      <Section title="New delegation">
        <Form
          name="New delegation"
          submit="Delegate"
          resetOnDone
          fields={[
            { name: 'grantee', label: 'Grantee (login or mailbox address)', required: true, help: 'Someone of the same customer, e.g. hr@example.com.' },
            { name: 'verbs', label: 'May', type: 'multi', required: true, options: DELEGABLE.map(([v, l]) => ({ value: v, label: `${l} (${v})` })) },
            { name: 'domains', label: 'On the mailboxes of', type: 'multi', required: true, options: doms.map((d) => ({ value: d.name })) },
            { name: 'templates', label: 'Templates allowed for new mailboxes', type: 'multi', options: tpls.map((t) => ({ value: t.name })) },
            { name: 'expires_at', label: 'Expires on', type: 'date', endOfDay: true, help: 'Empty: never.', apiFields: ['expires'] },
          ]}
          onSubmit={(v) => post('/delegations', v)}
          onDone={(d) => {
            setMsg(`Delegated to ${d.grantee}.`);
            setN(n + 1);
          }}
        />
      </Section>
    </>
  );
}
