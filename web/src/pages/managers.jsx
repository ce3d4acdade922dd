import { useState } from 'preact/hooks';
import { post, put, del, seg } from '../api.js';
import { Form, Section, PagedTable, ActionButton, Notice, useLoad, useLocation } from '../ui.jsx';
import { limitFields, LimitsForm } from './limits.jsx';
import { BrandingEditor } from './branding.jsx';

// A manager's domains by name: the server names those the viewer may see (`domains`), the
// id stands for any other (there should be none for whoever administers the manager).
function domainNames(m, dName) {
  const named = Object.fromEntries((m.domains || []).map((d) => [d.id, d.name]));
  return m.domain_ids.map((id) => named[id] || dName[id] || '#' + id);
}

export function Managers({ me }) {
  const { query } = useLocation();
  const customer = query.get('customer') || '';
  const [n, setN] = useState(0);
  const [msg, setMsg] = useState(null);
  const [edit, setEdit] = useState(null);
  const domains = useLoad(`/domains?limit=1000${customer ? '&customer=' + seg(customer) : ''}`);
  const doms = ((domains.data && domains.data.items) || []).filter((d) => d.status !== 'deleted');
  const dName = Object.fromEntries(doms.map((d) => [d.id, d.name]));
  const isCustomer = me.role === 'customer' || me.role === 'admin';
  return (
    <>
      <h1>Managers{customer ? ` of ${customer}` : ''}</h1>
      <p class="help">
        A <strong>full</strong> manager has the customer's autonomy over all its domains; a <strong>scoped</strong> manager administers only
        the domains chosen here. A manager's login may be any address, also outside your domains.
      </p>
      <Notice>{msg}</Notice>
      <PagedTable
        path="/managers"
        params={{ customer }}
        reloadKey={n}
        text={(m) => m.login + ' ' + m.display_name}
        empty="No managers yet."
        columns={[
          { label: 'Login', key: 'login' },
          { label: 'Name', key: 'display_name' },
          { label: 'Kind', key: 'manager_kind' },
          { label: 'Domains', render: (m) => (m.manager_kind === 'full' ? 'all' : domainNames(m, dName).join(', ') || 'none') },
          {
            label: 'Actions',
            render: (m) =>
              isCustomer && (
                <span class="actions">
                  <button type="button" class="secondary" aria-label={`Edit ${m.login}`} onClick={() => setEdit(m)}>
                    Edit
                  </button>
                  <ActionButton label="Delete" kind="danger" ariaLabel={`Delete manager ${m.login}`} confirm={`Delete manager ${m.login}?`} action={() => del(`/managers/${seg(m.login)}`)} onDone={() => setN(n + 1)} />
                </span>
              ),
          },
        ]}
      />
      {edit && (
        <Section title={`Edit ${edit.login}`}>
          {edit.manager_kind === 'scoped' && (
            <Form
              key={'d' + edit.id}
              name="Manager domains"
              submit="Save domains"
              fields={[{ name: 'domains', label: 'Domains', type: 'multi', options: doms.map((d) => ({ value: d.name })), value: domainNames(edit, dName).filter((x) => !x.startsWith('#')) }]}
              onSubmit={(v) => put(`/managers/${seg(edit.login)}/domains`, v)}
              onDone={() => {
                setMsg('Domains saved.');
                setN(n + 1);
              }}
            />
          )}
          <h3>Limits</h3>
          <LimitsForm
            key={'l' + edit.id}
            limits={edit.limits}
            onSubmit={(v) => put(`/managers/${seg(edit.login)}/limits`, v)}
            onDone={() => {
              setMsg('Limits saved.');
              setN(n + 1);
            }}
          />
          {me.role !== 'admin' || customer ? (
            <>
              <h3>White label for {edit.login}</h3>
              <p class="help">Mail to the users of the domains this manager runs carries these settings instead of yours.</p>
              <BrandingEditor key={'b' + edit.id} branding={edit.branding} save={(v) => put(`/managers/${seg(edit.login)}/branding`, v)} />
            </>
          ) : null}
          <h3>Password</h3>
          <Form
            key={'p' + edit.id}
            name="Manager password"
            submit="Set password"
            resetOnDone
            fields={[{ name: 'password', label: `New password for ${edit.login}`, type: 'password', required: true }]}
            onSubmit={(v) => put(`/managers/${seg(edit.login)}/password`, v)}
            onDone={() => setMsg('Password set.')}
          />
          <button type="button" class="secondary" onClick={() => setEdit(null)}>
            Close
          </button>
        </Section>
      )}
      {isCustomer && (
        <Section title="New manager">
          <Form
            name="New manager"
            submit="Create manager"
            resetOnDone
            fields={[
              ...(me.role === 'admin' ? [{ name: 'customer', label: 'Customer', required: true, value: customer }] : []),
              { name: 'login', label: 'Login address', required: true, help: 'Any e-mail address, also outside your domains.' },
              { name: 'display_name', label: 'Name' },
              { name: 'kind', label: 'Kind', type: 'select', options: [{ value: 'scoped', label: 'Scoped: only the domains below' }, { value: 'full', label: 'Full: all domains, customer autonomy' }] },
              { name: 'domains', label: 'Domains (scoped managers)', type: 'multi', options: doms.map((d) => ({ value: d.name })) },
              { name: 'password', label: 'Password', type: 'password' },
              ...limitFields(),
            ]}
            onSubmit={(v) => post('/managers', v)}
            onDone={(m) => {
              setMsg(`Manager ${m.login} created.`);
              setN(n + 1);
            }}
          />
        </Section>
      )}
    </>
  );
}
