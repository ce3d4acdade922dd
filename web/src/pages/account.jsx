import { useState } from 'preact/hooks';
import { put, post, del, setCsrf, get } from '../api.js';
import { Form, Section, PagedTable, ActionButton, Notice, ErrorNotice, useLoad, navigate } from '../ui.jsx';
import { formatTime } from '../format.js';

export function Account({ me }) {
  return (
    <>
      <h1>Password</h1>
      <p>
        Signed in as <strong>{me.login}</strong>. Changing your password ends all your sessions: you will sign in again with
        the new one.
      </p>
      <Section title="Change your password">
        <Form
          name="Change password"
          submit="Change password"
          fields={[
            { name: 'password', label: 'New password', type: 'password', required: true },
            { name: 'confirm', label: 'New password again', type: 'password', required: true },
          ]}
          onSubmit={async (v) => {
            if (v.password !== v.confirm) {
              const e = new Error('The two passwords differ.');
              e.field = 'confirm';
              throw e;
            }
            await put('/me/password', { password: v.password });
          }}
          onDone={() => {
            setCsrf(null);
            location.assign('/login');
          }}
        />
      </Section>
    </>
  );
}

const VERBS = [
  'mailbox.read',
  'mailbox.create',
  'mailbox.edit',
  'mailbox.password',
  'mailbox.delete',
  'mailbox.restore',
  'alias.read',
  'alias.edit',
  'forward.edit',
  'domain.read',
  'audit.read',
];

export function Tokens({ me }) {
  const [secret, setSecret] = useState(null);
  const [copied, setCopied] = useState(false);
  const [n, setN] = useState(0);
  const domains = useLoad(me.role === 'user' ? null : '/domains?limit=1000');
  const domainOpts = ((domains.data && domains.data.items) || []).filter((d) => d.status !== 'deleted').map((d) => ({ value: d.name }));
  return (
    <>
      <h1>API tokens</h1>
      <p>
        Tokens let scripts use the <a href="/api/v1/openapi.json">REST API</a> as you, with <code>Authorization: Bearer …</code>. A
        token never has more rights than you have now, and can be narrowed further.
      </p>
      {secret && (
        <div class="notice ok secret" role="status">
          <p>
            <strong>Token “{secret.name}” created.</strong> Copy the secret now: it is shown only once.
          </p>
          <p class="secret-row">
            <code data-testid="token-secret">{secret.secret}</code>{' '}
            <button
              type="button"
              onClick={async () => {
                try {
                  await navigator.clipboard.writeText(secret.secret);
                  setCopied(true);
                } catch (e) {
                  setCopied(false);
                  const r = document.createRange();
                  r.selectNodeContents(document.querySelector('[data-testid=token-secret]'));
                  getSelection().removeAllRanges();
                  getSelection().addRange(r);
                }
              }}
            >
              {copied ? 'Copied' : 'Copy'}
            </button>{' '}
            <button type="button" class="secondary" onClick={() => setSecret(null)}>
              Done
            </button>
          </p>
        </div>
      )}
      <Section title="Your tokens">
        <PagedTable
          path="/tokens"
          reloadKey={n}
          text={(t) => t.name + ' ' + t.prefix}
          empty="You have no API tokens."
          columns={[
            { label: 'Name', key: 'name' },
            { label: 'Prefix', render: (t) => <code>{t.prefix}…</code> },
            {
              label: 'Scope',
              render: (t) =>
                [
                  t.scope.read_only ? 'read-only' : null,
                  t.scope.domains.length ? 'domains: ' + t.scope.domains.filter(Boolean).join(', ') : null,
                  t.scope.verbs.length ? 'verbs: ' + t.scope.verbs.join(', ') : null,
                  t.scope.ip_allow.length ? 'from: ' + t.scope.ip_allow.join(', ') : null,
                ]
                  .filter(Boolean)
                  .join('; ') || 'all your rights',
            },
            { label: 'Created', render: (t) => formatTime(t.created_at) },
            { label: 'Expires', render: (t) => (t.expires_at ? formatTime(t.expires_at) : 'never') },
            { label: 'Last used', render: (t) => (t.last_used_at ? `${formatTime(t.last_used_at)} from ${t.last_used_ip}` : 'never') },
            {
              label: 'Actions',
              render: (t) =>
                t.revoked ? (
                  <span class="badge">revoked {formatTime(t.revoked_at)}</span>
                ) : (
                  <ActionButton
                    label="Revoke"
                    ariaLabel={`Revoke token ${t.name}`}
                    kind="danger"
                    confirm={`Revoke token “${t.name}”? Scripts using it stop working at once.`}
                    action={() => del(`/tokens/${t.id}`)}
                    onDone={() => setN(n + 1)}
                  />
                ),
            },
          ]}
        />
      </Section>
      <Section title="Create a token">
        <Form
          name="Create token"
          submit="Create token"
          resetOnDone
          fields={[
            { name: 'name', label: 'Name', required: true, help: 'What it is for, e.g. "monitoring".' },
            ...(domainOpts.length
              ? [{ name: 'domains', label: 'Only these domains (none ticked: all of yours)', type: 'multi', options: domainOpts }]
              : []),
            { name: 'verbs', label: 'Only these rights (none ticked: all of yours)', type: 'multi', options: VERBS.map((v) => ({ value: v })) },
            { name: 'read_only', label: 'Read-only', type: 'checkbox' },
            { name: 'expires_at', label: 'Expires on', type: 'date', endOfDay: true, help: 'Empty: never.' },
            { name: 'ip_allow', label: 'Allowed client addresses', type: 'list', help: 'CIDRs or addresses, comma separated, e.g. 192.0.2.0/24. Empty: any.' },
          ]}
          onSubmit={(v) => post('/tokens', v)}
          onDone={(r) => {
            setSecret(r);
            setCopied(false);
            setN(n + 1);
          }}
        />
      </Section>
    </>
  );
}
