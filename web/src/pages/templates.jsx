import { useState } from 'preact/hooks';
import { post, put, seg, get } from '../api.js';
import { Form, Section, PagedTable, Notice, ErrorNotice, useLocation } from '../ui.jsx';
import { formatBytes } from '../format.js';

const SERVICES = ['imap', 'pop3', 'smtp', 'webmail', 'forwarding', 'autoresponder', 'tokens'];

function templateFields(t) {
  const s = (t && t.settings) || { services: {}, folders: [] };
  return [
    { name: 'quota_bytes', label: 'Mailbox quota', type: 'size', value: t ? s.quota_bytes : undefined, required: true, help: 'e.g. 2G' },
    { name: 'services', label: 'Services', type: 'multi', options: SERVICES.map((v) => ({ value: v })), value: t ? SERVICES.filter((k) => s.services[k]) : ['imap', 'pop3', 'smtp', 'webmail'] },
    { name: 'folders', label: 'Folders created in a new mailbox', type: 'list', value: s.folders },
    { name: 'language', label: 'Language', value: s.language || '' },
    { name: 'autoresponder_text', label: 'Default autoresponder text', type: 'textarea', rows: 3, value: s.autoresponder_text || '' },
  ];
}

const toBody = (v) => ({ ...v, services: Object.fromEntries(SERVICES.map((k) => [k, v.services.includes(k)])) });

function Versions({ t, customer }) {
  const [n, setN] = useState(null);
  const [v, setV] = useState(null);
  const [err, setErr] = useState(null);
  if (t.version < 2) return null;
  return (
    <span>
      <label class="inline">
        <span class="sr-only">Show version of {t.name}</span>
        <select
          value={n || ''}
          onChange={async (e) => {
            const k = e.currentTarget.value;
            setN(k);
            setV(null);
            setErr(null);
            if (!k) return;
            try {
              setV(await get(`/templates/${seg(t.name)}/versions/${k}${customer ? '?customer=' + seg(customer) : ''}`));
            } catch (x) {
              setErr(x);
            }
          }}
        >
          <option value="">versions…</option>
          {Array.from({ length: t.version }, (_, i) => i + 1).map((i) => (
            <option value={i}>v{i}</option>
          ))}
        </select>
      </label>
      <ErrorNotice error={err} />
      {v && (
        <span class="help">
          {' '}
          v{v.version}: {formatBytes(v.settings.quota_bytes)}, {SERVICES.filter((k) => v.settings.services[k]).join(', ')}
        </span>
      )}
    </span>
  );
}

export function Templates({ me }) {
  const { query } = useLocation();
  const customer = query.get('customer') || '';
  const [n, setN] = useState(0);
  const [edit, setEdit] = useState(null);
  const [msg, setMsg] = useState(null);
  const canEdit = me.role === 'admin' || me.role === 'customer' || me.manager_kind === 'full';
  return (
    <>
      <h1>Templates{customer ? ` of ${customer}` : ''}</h1>
      <p class="help">Every new mailbox is made from a template: which services it may use and its settings. Editing a template adds a version; existing mailboxes keep the version that made them.</p>
      <Notice>{msg}</Notice>
      <PagedTable
        path="/templates"
        params={{ customer }}
        reloadKey={n}
        text={(t) => t.name}
        columns={[
          { label: 'Name', render: (t) => t.name + (t.customer_id === null ? ' (platform)' : '') },
          { label: 'Version', render: (t) => <>v{t.version} <Versions t={t} customer={customer} /></> },
          { label: 'Quota', render: (t) => formatBytes(t.settings.quota_bytes) },
          { label: 'Services', render: (t) => SERVICES.filter((k) => t.settings.services[k]).join(', ') },
          {
            label: 'Actions',
            render: (t) =>
              canEdit && (t.customer_id !== null || me.role === 'admin') && (
                <button type="button" class="secondary" aria-label={`Edit template ${t.name}`} onClick={() => setEdit(t)}>
                  Edit
                </button>
              ),
          },
        ]}
      />
      {edit && (
        <Section title={`Edit template ${edit.name} (saving makes v${edit.version + 1})`}>
          <Form
            key={edit.name + edit.version}
            name="Edit template"
            submit="Save as new version"
            fields={templateFields(edit)}
            onSubmit={(v) => put(`/templates/${seg(edit.name)}${customer ? '?customer=' + seg(customer) : ''}`, toBody(v))}
            onDone={(t) => {
              setMsg(`Template ${t.name} is now at version ${t.version}.`);
              setEdit(null);
              setN(n + 1);
            }}
          />
          <button type="button" class="secondary" onClick={() => setEdit(null)}>
            Cancel
          </button>
        </Section>
      )}
      {canEdit && (
        <Section title="New template">
          <Form
            name="New template"
            submit="Create template"
            resetOnDone
            fields={[{ name: 'name', label: 'Name', required: true }, ...templateFields(null)]}
            onSubmit={(v) => post('/templates', { ...toBody(v), ...(customer ? { customer } : {}) })}
            onDone={(t) => {
              setMsg(`Template ${t.name} created.`);
              setN(n + 1);
            }}
          />
        </Section>
      )}
    </>
  );
}
