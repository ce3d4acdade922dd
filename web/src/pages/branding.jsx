import { useState } from 'preact/hooks';
import { put, seg } from '../api.js';
import { Form, Section, Notice, ErrorNotice, useLoad, useLocation } from '../ui.jsx';

// What a welcome mail to a new user looks like with these settings.
function Preview({ b }) {
  const product = b.product_name || 'your mail service';
  const from = b.sender_address ? `${b.sender_name || product} <${b.sender_address}>` : '(no sender address set: required before mail is sent)';
  const text = b.welcome_text || `Welcome to ${product}. Your new mailbox is ready.`;
  return (
    <figure class="mail-preview" aria-label="Preview of the welcome mail">
      <dl>
        <dt>From</dt>
        <dd>{from}</dd>
        <dt>To</dt>
        <dd>new.user@your-domain.example</dd>
        <dt>Subject</dt>
        <dd>Welcome to {product}</dd>
      </dl>
      <div class="mail-body">
        {/^https:\/\//.test(b.logo_url || '') && <img src={b.logo_url} alt={`${product} logo`} class="logo" />}
        {text.split('\n').map((l) => (
          <p>{l}</p>
        ))}
        <p class="help">Password reset mails say: {b.reset_text || `Your ${product} password was reset.`}</p>
      </div>
      <figcaption>Preview: mail to users carries these settings, never the platform's name.</figcaption>
    </figure>
  );
}

const KEYS = [
  ['product_name', 'Product name', 'text'],
  ['sender_name', 'Sender name', 'text'],
  ['sender_address', 'Sender address', 'email'],
  ['logo_url', 'Logo URL (https)', 'url'],
  ['welcome_text', 'Welcome text', 'textarea'],
  ['reset_text', 'Password reset text', 'textarea'],
];

// The white-label form beside a live preview; `save(values)` answers the saved owner.
export function BrandingEditor({ branding, save }) {
  const [draft, setDraft] = useState(null);
  const [msg, setMsg] = useState(null);
  const b = draft || branding;
  return (
    <>
      <Notice>{msg}</Notice>
      <div class="two-col">
        <Section title="Settings">
          <div onInput={(e) => e.target.name && setDraft({ ...b, [e.target.name]: e.target.value })}>
            <Form
              name="White label"
              submit="Save"
              fields={KEYS.map(([name, label, type]) => ({ name, label, type, value: branding[name], keepEmpty: true, rows: 3 }))}
              onSubmit={save}
              onDone={(saved) => {
                setMsg('Saved.');
                setDraft(saved.branding);
              }}
            />
          </div>
        </Section>
        <Section title="Preview">
          <Preview b={b} />
        </Section>
      </div>
    </>
  );
}

export function Branding({ me }) {
  const { query } = useLocation();
  const ref = query.get('customer') || (me.customer_id ? '#' + me.customer_id : '');
  const c = useLoad(ref ? `/customers/${seg(ref)}` : null);
  if (c.error) return <><h1>White label</h1><ErrorNotice error={c.error} /></>;
  if (!c.data) return <p class="loading">Loading…</p>;
  return (
    <>
      <h1>White label: {c.data.name}</h1>
      <p class="help">Mail the server sends to your users and managers (welcome, password reset) carries these settings.</p>
      <BrandingEditor branding={c.data.branding} save={(v) => put(`/customers/${seg(c.data.name)}/branding`, v)} />
    </>
  );
}
