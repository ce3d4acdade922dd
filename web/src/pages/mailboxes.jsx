// Mailboxes of one domain, with what the actor may do to them. Shared by the domain page
// (customers, managers, postmasters) and the User Manager page (delegates): `can` says
// which actions to offer; the server decides anyway.
import { useState } from 'preact/hooks';
import { post, put, del, patch, seg } from '../api.js';
import { Form, Section, PagedTable, ActionButton, Notice, useLoad } from '../ui.jsx';
import { formatBytes, formatTime } from '../format.js';

export function templateOptions(items) {
  return (items || []).map((t) => ({ value: t.name, label: `${t.name} (${formatBytes(t.settings.quota_bytes)}, v${t.version})` }));
}

function PasswordDialog({ address, onClose }) {
  const [done, setDone] = useState(false);
  return (
    <div class="inline-panel" role="group" aria-label="Reset password">
      {done ? (
        <Notice>Password of {address} changed.</Notice>
      ) : (
        <Form
          submit="Set password"
          fields={[{ name: 'password', label: `New password for ${address}`, type: 'password', required: true }]}
          onSubmit={(v) => put(`/mailboxes/${seg(address)}/password`, v)}
          onDone={() => setDone(true)}
        />
      )}
      <button type="button" class="secondary" onClick={onClose}>
        Close
      </button>
    </div>
  );
}

function EditDialog({ m, onClose, onSaved }) {
  return (
    <div class="inline-panel" role="group" aria-label="Edit mailbox">
      <Form
        submit="Save mailbox"
        fields={[
          { name: 'display_name', label: `Full name of ${m.address}`, value: m.display_name, keepEmpty: true },
          { name: 'quota_bytes', label: `Quota of ${m.address}`, type: 'size', value: m.quota_bytes, required: true },
          { name: 'status', label: `Status of ${m.address}`, type: 'select', value: m.status, options: [{ value: 'active', label: 'active: may sign in and receive mail' }, { value: 'disabled', label: 'disabled: no sign-in, no mail' }] },
        ]}
        onSubmit={(v) => patch(`/mailboxes/${seg(m.address)}`, v)}
        onDone={onSaved}
      />
      <button type="button" class="secondary" onClick={onClose}>
        Close
      </button>
    </div>
  );
}

export function MailboxList({ domain, can, templatesPath = '/templates', restoreHint }) {
  const [n, setN] = useState(0);
  const [pw, setPw] = useState(null);
  const [edit, setEdit] = useState(null);
  const [notice, setNotice] = useState(null);
  const [status, setStatus] = useState('active');
  const templates = useLoad(can.create ? templatesPath + (templatesPath.includes('?') ? '&' : '?') + 'limit=1000' : null);
  const tOpts = templateOptions(templates.data && templates.data.items);
  const refresh = () => setN(n + 1);
  return (
    <>
      <Notice kind={notice && notice.kind}>{notice && notice.text}</Notice>
      <div class="filter">
        <label for={`status-${domain}`}>Show</label>
        <select id={`status-${domain}`} value={status} onChange={(e) => setStatus(e.currentTarget.value)}>
          <option value="active">Active mailboxes</option>
          <option value="disabled">Disabled mailboxes</option>
          <option value="deleted">Deleted mailboxes</option>
          <option value="">All mailboxes</option>
        </select>
      </div>
      <PagedTable
        path="/mailboxes"
        params={{ domain, status }}
        reloadKey={n}
        text={(m) => m.address + ' ' + m.display_name}
        empty="No mailboxes."
        columns={[
          { label: 'Address', key: 'address' },
          { label: 'Name', key: 'display_name' },
          { label: 'Quota', render: (m) => formatBytes(m.quota_bytes) },
          { label: 'Status', render: (m) => <span class={'badge ' + m.status}>{m.status}</span> },
          { label: 'Last access', render: (m) => (m.last_login.at ? `${formatTime(m.last_login.at)} (${m.last_login.protocol})` : 'never') },
          {
            label: 'Actions',
            render: (m) =>
              m.status === 'deleted' ? (
                can.restore ? (
                  <ActionButton
                    label="Restore"
                    ariaLabel={`Restore ${m.address}`}
                    action={() => post(`/mailboxes/${seg(m.address)}/restore`)}
                    onDone={() => {
                      setNotice({ text: `${m.address} restored with its mail.` });
                      refresh();
                    }}
                  />
                ) : (
                  <span class="help">deleted {formatTime(m.deleted_at)}</span>
                )
              ) : (
                <span class="actions">
                  {can.edit && (
                    <button type="button" class="secondary" aria-label={`Edit ${m.address}`} onClick={() => setEdit(m)}>
                      Edit
                    </button>
                  )}
                  {can.password && (
                    <button type="button" class="secondary" aria-label={`Reset password of ${m.address}`} onClick={() => setPw(m.address)}>
                      Reset password
                    </button>
                  )}
                  {can.delete && (
                    <ActionButton
                      label="Delete"
                      kind="danger"
                      ariaLabel={`Delete ${m.address}`}
                      confirm={`Delete ${m.address}? Its mail is kept for the retention period (30 days by default) and it can be restored until then.`}
                      action={() => del(`/mailboxes/${seg(m.address)}`)}
                      onDone={() => {
                        setNotice({
                          kind: 'warn',
                          text: (
                            <>
                              {m.address} deleted. Its mail and settings are kept for the retention period and the address stays reserved;{' '}
                              {can.restore ? (
                                <button
                                  type="button"
                                  class="link"
                                  onClick={async () => {
                                    try {
                                      await post(`/mailboxes/${seg(m.address)}/restore`);
                                      setNotice({ text: `${m.address} restored with its mail.` });
                                    } catch (e) {
                                      setNotice({ kind: 'error', text: e.message });
                                    }
                                    refresh();
                                  }}
                                >
                                  restore {m.address}
                                </button>
                              ) : (
                                restoreHint || 'your administrator can restore it from Deleted items.'
                              )}
                            </>
                          ),
                        });
                        refresh();
                      }}
                    />
                  )}
                </span>
              ),
          },
        ]}
      />
      {pw && <PasswordDialog address={pw} onClose={() => setPw(null)} />}
      {edit && (
        <EditDialog
          key={edit.id}
          m={edit}
          onClose={() => setEdit(null)}
          onSaved={(m) => {
            setNotice({ text: `${m.address} saved.` });
            setEdit(null);
            refresh();
          }}
        />
      )}
      {can.create && (
        <Section title="New mailbox">
          {tOpts.length === 0 && !templates.loading ? (
            <p class="help">No template is available to you: a mailbox is always made from a template.</p>
          ) : (
            <Form
              name="New mailbox"
              submit="Create mailbox"
              resetOnDone
              fields={[
                { name: 'local', label: 'Address', required: true, help: `The part before @${domain}.`, apiFields: ['address'] },
                { name: 'display_name', label: 'Full name' },
                { name: 'template', label: 'Template', type: 'select', options: tOpts, required: true },
                { name: 'password', label: 'Password', type: 'password', help: 'Empty: no sign-in until one is set.' },
                ...(can.quota ? [{ name: 'quota_bytes', label: 'Quota', type: 'size', help: "Empty: the template's." }] : []),
              ]}
              onSubmit={({ local, ...v }) => post('/mailboxes', { ...v, address: local.includes('@') ? local : `${local}@${domain}` })}
              onDone={(m) => {
                setNotice({ text: `Mailbox ${m.address} created.` });
                refresh();
              }}
            />
          )}
        </Section>
      )}
    </>
  );
}
