// A mailbox owner's own page: quota, services, status, last access, forward, autoresponder.
import { useState, useEffect } from 'preact/hooks';
import { put, get } from '../api.js';
import { Form, Section, Notice, UsageBar, useLoad, ErrorNotice } from '../ui.jsx';
import { formatBytes, formatTime } from '../format.js';

const NAMES = { imap: 'IMAP', pop3: 'POP3', smtp: 'Sending (SMTP)', webmail: 'Webmail', forwarding: 'Forwarding', autoresponder: 'Autoresponder', tokens: 'API tokens' };

function Autoresponder() {
  const r = useLoad('/me/autoresponder');
  const [msg, setMsg] = useState(null);
  if (r.error) return <ErrorNotice error={r.error} />;
  if (!r.data) return <p class="loading">Loading…</p>;
  const a = r.data;
  return (
    <>
      <Notice>{msg}</Notice>
      <Form
        key={JSON.stringify(a)}
        name="Autoresponder"
        submit="Save autoresponder"
        fields={[
          { name: 'enabled', label: 'Answer incoming mail automatically', type: 'checkbox', value: a.enabled },
          { name: 'subject', label: 'Subject', value: a.subject, keepEmpty: true },
          { name: 'body', label: 'Message', type: 'textarea', value: a.body, keepEmpty: true },
          { name: 'start', label: 'From (first day)', type: 'date', value: a.start, keepNull: true, help: 'Empty: from now.' },
          { name: 'end', label: 'Until (last day)', type: 'date', value: a.end, endOfDay: true, keepNull: true, help: 'Empty: until switched off.' },
        ]}
        onSubmit={(v) => {
          if (v.start === null) delete v.start;
          if (v.end === null) delete v.end;
          return put('/me/autoresponder', v);
        }}
        onDone={() => {
          setMsg('Autoresponder saved.');
          r.reload();
        }}
      />
    </>
  );
}

export function MyMailbox({ me }) {
  const m = useLoad('/me');
  const [health, setHealth] = useState(null);
  const [msg, setMsg] = useState(null);
  useEffect(() => {
    fetch('/healthz')
      .then((r) => r.json())
      .then(setHealth, () => setHealth({ status: 'unreachable' }));
  }, []);
  if (m.error) return <ErrorNotice error={m.error} />;
  if (!m.data || !m.data.mailbox) return <p class="loading">Loading…</p>;
  const mb = m.data.mailbox;
  const s = mb.services;
  return (
    <>
      <h1>My mailbox</h1>
      <p class="lead">
        {mb.display_name ? `${mb.display_name} — ` : ''}
        <strong>{mb.address}</strong>
      </p>
      <div class="two-col">
        <Section title="Quota">
          {mb.usage.used_bytes === null ? (
            <p>Quota {formatBytes(mb.quota_bytes)}; usage is not available right now.</p>
          ) : (
            <UsageBar label="Mailbox size" used={mb.usage.used_bytes} limit={mb.quota_bytes} format={formatBytes} />
          )}
          {mb.usage.messages !== null && <p>{mb.usage.messages} messages.</p>}
        </Section>
        <Section title="Status">
          <dl class="facts">
            <dt>Mailbox</dt>
            <dd>
              <span class={'badge ' + mb.status}>{mb.status}</span>
            </dd>
            <dt>Mail server</dt>
            <dd>{health ? (health.status === 'ok' ? 'running' : health.status) : '…'}</dd>
            <dt>Last access</dt>
            <dd>{mb.last_login.at ? `${formatTime(mb.last_login.at)} by ${mb.last_login.protocol}` : 'never'}</dd>
          </dl>
          <h3>Services</h3>
          <ul class="services">
            {Object.keys(NAMES).map((k) => (
              <li class={s[k] ? 'on' : 'off'}>
                {NAMES[k]}: <strong>{s[k] ? 'on' : 'off'}</strong>
              </li>
            ))}
          </ul>
        </Section>
      </div>
      {s.forwarding && (
        <Section title="Forward">
          <Notice>{msg}</Notice>
          <Form
            key={JSON.stringify(mb.forward)}
            name="Forward"
            submit="Save forward"
            fields={[
              { name: 'targets', label: 'Forward my mail to', type: 'list', value: mb.forward.to, help: 'Addresses, comma separated. Empty: no forward.' },
              { name: 'keep_copy', label: 'Keep a copy here', type: 'checkbox', value: mb.forward.keep_copy },
            ]}
            onSubmit={(v) => put('/me/forward', v)}
            onDone={() => {
              setMsg('Forward saved.');
              m.reload();
            }}
          />
        </Section>
      )}
      {s.autoresponder && (
        <Section title="Autoresponder">
          <Autoresponder />
        </Section>
      )}
    </>
  );
}
