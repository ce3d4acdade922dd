import { useState } from 'preact/hooks';
import { post, put, seg } from '../api.js';
import { Form, Section, PagedTable, Link, useLoad, ErrorNotice, Notice } from '../ui.jsx';
import { limitFields, LimitsForm, UsageBars } from './limits.jsx';
import { formatTime } from '../format.js';

export function Customers({ me }) {
  const [n, setN] = useState(0);
  const [done, setDone] = useState(null);
  return (
    <>
      <h1>Customers</h1>
      <Section title="All customers">
        <PagedTable
          path="/customers"
          reloadKey={n}
          text={(c) => c.name}
          columns={[
            { label: 'Name', render: (c) => <Link href={`/customers/${seg(c.name)}`}>{c.name}</Link> },
            { label: 'Status', key: 'status' },
            { label: 'Created', render: (c) => formatTime(c.created_at) },
          ]}
        />
      </Section>
      <Section title="New customer">
        <Notice>{done}</Notice>
        <Form
          name="New customer"
          submit="Create customer"
          resetOnDone
          fields={[
            { name: 'name', label: 'Name', required: true, help: 'A short name, e.g. acme.' },
            { name: 'login', label: 'Login address', help: 'The customer signs in with it; any e-mail address.' },
            { name: 'password', label: 'Password', type: 'password' },
            ...limitFields(),
          ]}
          onSubmit={(v) => post('/customers', v)}
          onDone={(c) => {
            setDone(`Customer ${c.name} created.`);
            setN(n + 1);
          }}
        />
      </Section>
    </>
  );
}

// One customer: usage against its limits; the platform admin sets the limits.
export function CustomerPage({ me, customer }) {
  const ref = /^\d+$/.test(customer) ? '#' + customer : customer;
  const c = useLoad(`/customers/${seg(ref)}`);
  const u = useLoad(`/customers/${seg(ref)}/usage`);
  const [saved, setSaved] = useState(null);
  if (c.error) return <><h1>Customer</h1><ErrorNotice error={c.error} /></>;
  if (!c.data) return <p class="loading">Loading…</p>;
  const cu = c.data;
  return (
    <>
      <h1>Customer {cu.name}</h1>
      <Section title="Usage and limits">
        <UsageBars usage={u.data} limits={cu.limits} />
      </Section>
      {me.role === 'admin' && (
        <Section title="Set limits">
          <Notice>{saved}</Notice>
          <LimitsForm
            limits={cu.limits}
            onSubmit={(v) => put(`/customers/${seg(cu.name)}/limits`, v)}
            onDone={() => {
              setSaved('Limits saved.');
              c.reload();
              u.reload();
            }}
          />
        </Section>
      )}
      {me.role === 'admin' && (
        <p>
          <Link href={`/domains?customer=${seg(cu.name)}`}>Domains of {cu.name}</Link> ·{' '}
          <Link href={`/managers?customer=${seg(cu.name)}`}>Managers</Link> ·{' '}
          <Link href={`/templates?customer=${seg(cu.name)}`}>Templates</Link> ·{' '}
          <Link href={`/branding?customer=${seg(cu.name)}`}>White label</Link>
        </p>
      )}
    </>
  );
}
