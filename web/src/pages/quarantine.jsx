// The quarantine (docs/antispam.md): mail held back as likely spam or malware, listed for a
// mailbox (its user) or a domain (its administrators), released into INBOX or deleted; the
// notices' release links (no login); the spam settings of a mailbox and of a domain. Every
// decision is the server's.
import { useState } from 'preact/hooks';
import { get, post, put, del, seg } from '../api.js';
import { PagedTable, Section, Link, ActionButton, Notice, ErrorNotice, DomainFilter, Form, useLoad, useLocation } from '../ui.jsx';
import { formatBytes, formatTime } from '../format.js';

const shownFrom = (m) => m.from || `<${m.sender || ''}>`;

// What a held message is: for whom, from whom, about what, why (and, with `kept`, until when).
function HeldFacts({ m, kept }) {
  return (
    <dl class="facts">
      <dt>For</dt>
      <dd>{m.mailbox}</dd>
      <dt>From</dt>
      <dd>{shownFrom(m)}</dd>
      <dt>Subject</dt>
      <dd>{m.subject || '(no subject)'}</dd>
      <dt>Why it was held</dt>
      <dd>{m.reason}</dd>
      {kept && <dt>Held</dt>}
      {kept && (
        <dd>
          {formatTime(m.held_at)}, kept until {formatTime(m.expires_at)}
        </dd>
      )}
    </dl>
  );
}

// Held mail of one mailbox (`mailbox`) or of the chosen domain.
function HeldTable({ mailbox, domain }) {
  const [done, setDone] = useState(null);
  const [reload, setReload] = useState(0);
  const params = mailbox ? { mailbox } : { domain };
  const after = (what) => () => {
    setDone(what);
    setReload((n) => n + 1);
  };
  return (
    <>
      {done && <Notice>{done}</Notice>}
      <PagedTable
        path="/quarantine"
        params={params}
        reloadKey={reload}
        caption="Held messages"
        text={(m) => `${m.mailbox} ${m.sender} ${m.from} ${m.subject} ${m.reason}`}
        empty="Nothing is held."
        columns={[
          ...(mailbox ? [] : [{ label: 'For', render: (m) => m.mailbox }]),
          { label: 'From', render: shownFrom },
          { label: 'Subject', render: (m) => <Link href={`/quarantine/${seg(m.id)}`}>{m.subject || '(no subject)'}</Link> },
          { label: 'Why', render: (m) => m.reason },
          { label: 'Held', render: (m) => formatTime(m.held_at) },
          { label: 'Size', render: (m) => formatBytes(m.size) },
          {
            label: 'Actions',
            render: (m) => (
              <>
                <ActionButton label="Release" ariaLabel={`Release ${m.subject || 'message'} from ${shownFrom(m)}`} kind="primary" action={() => post(`/quarantine/${seg(m.id)}/release`)} onDone={after(`Released “${m.subject}” into ${m.mailbox}'s inbox.`)} />{' '}
                <ActionButton label="Delete" ariaLabel={`Delete ${m.subject || 'message'} from ${shownFrom(m)}`} confirm="Delete this held message for good?" action={() => del(`/quarantine/${seg(m.id)}`)} onDone={after(`Deleted “${m.subject}”.`)} />
              </>
            ),
          },
        ]}
      />
    </>
  );
}

export function Quarantine({ me }) {
  const { query } = useLocation();
  const [domain, setDomain] = useState(query.get('domain') || (me.role === 'postmaster' ? me.domain_name : ''));
  if (me.role === 'user') {
    return (
      <>
        <h1>Quarantine</h1>
        <p class="help">Mail held back from your inbox as likely spam or malware. Release what you want; the rest is deleted when its time is up.</p>
        <HeldTable mailbox={me.login} />
        <UserSpamSettings address={me.login} />
      </>
    );
  }
  return (
    <>
      <h1>Quarantine</h1>
      <p class="help">Mail held back from the mailboxes of a domain as likely spam or malware.</p>
      <div class="filters">
        <DomainFilter value={domain} set={setDomain} id="quarantine-domain" label="Domain" />
      </div>
      {domain ? <HeldTable domain={domain} /> : <p class="empty">Choose a domain to see its held mail.</p>}
    </>
  );
}

export function HeldMessage({ id }) {
  const d = useLoad(`/quarantine/${seg(id)}`);
  const [done, setDone] = useState(null);
  const head = (
    <>
      <h1>Held message</h1>
      <p>
        <Link href="/quarantine">Back to the quarantine</Link>
      </p>
    </>
  );
  if (!d.data || done)
    return (
      <>
        {head}
        {done ? <Notice>{done}</Notice> : d.error ? <ErrorNotice error={d.error} /> : <p class="loading">Loading…</p>}
      </>
    );
  const m = d.data;
  return (
    <>
      {head}
      <HeldFacts m={m} kept />
      <p>
        <ActionButton label="Release to inbox" kind="primary" action={() => post(`/quarantine/${seg(m.id)}/release`)} onDone={() => setDone('Released into the inbox.')} />{' '}
        <ActionButton label="Delete" confirm="Delete this held message for good?" action={() => del(`/quarantine/${seg(m.id)}`)} onDone={() => setDone('Deleted.')} />
      </p>
      <Section title="Message source">
        <p class="help">Shown as plain text; nothing in it runs or loads.{m.truncated ? ' Only its first 256 KiB are shown.' : ''}</p>
        <pre class="source">{m.message}</pre>
      </Section>
    </>
  );
}

// /release?token=…: a notice's link. No login: the link itself is the credential.
export function ReleaseLink() {
  const { query } = useLocation();
  const token = query.get('token') || '';
  const d = useLoad(`/quarantine-links/${seg(token)}`);
  const [released, setReleased] = useState(null);
  const m = released || d.data;
  return (
    <main class="standalone">
      <h1>Release held mail</h1>
      <ErrorNotice error={d.error && d.error.status === 404 ? { message: 'This link is not valid any more: the message was released or deleted already, or its time in the quarantine is up.' } : d.error} />
      {!d.error && !m && <p class="loading">Loading…</p>}
      {m && (
        <>
          <HeldFacts m={m} />
          {released ? (
            <Notice>Released: the message is in your inbox now.</Notice>
          ) : (
            <ActionButton label="Release to my inbox" kind="primary" action={() => post(`/quarantine-links/${seg(token)}/release`)} onDone={(r) => setReleased(r)} />
          )}
        </>
      )}
    </main>
  );
}

// A mailbox's own settings: thresholds may only be tighter than the domain's.
export function UserSpamSettings({ address }) {
  const d = useLoad(`/mailboxes/${seg(address)}/spam-settings`);
  const [saved, setSaved] = useState(false);
  if (!d.data) return <ErrorNotice error={d.error} />;
  const s = d.data;
  return (
    <Section title="My spam settings">
      {saved && <Notice>Saved.</Notice>}
      <Form
        name="My spam settings"
        fields={[
          { name: 'junk_score', label: 'Move to Junk from score', type: 'score', value: s.junk_score, help: 'Lower is stricter; empty follows your domain. You can only be stricter than your domain.' },
          { name: 'quarantine_score', label: 'Hold in quarantine from score', type: 'score', value: s.quarantine_score },
          { name: 'reject_score', label: 'Refuse from score', type: 'score', value: s.reject_score },
          { name: 'block', label: 'Blocked senders', type: 'list', value: s.block, help: 'Addresses or domains, separated by commas.' },
          { name: 'allow', label: 'Allowed senders', type: 'list', value: s.allow, help: 'Never treated as spam when their domain is verified (SPF or DKIM). Viruses are still stopped.' },
        ]}
        onSubmit={(v) => put(`/mailboxes/${seg(address)}/spam-settings`, v)}
        onDone={() => setSaved(true)}
      />
    </Section>
  );
}

// A domain's spam policy (spam.policy).
export function DomainSpamPolicy({ domain }) {
  const d = useLoad(`/domains/${seg(domain)}/spam-policy`);
  const [saved, setSaved] = useState(false);
  if (!d.data) return d.error && d.error.status === 403 ? null : <ErrorNotice error={d.error} />;
  const p = d.data;
  return (
    <Section title="Spam policy">
      {saved && <Notice>Spam policy saved.</Notice>}
      <p>
        <Link href={`/quarantine?domain=${seg(domain)}`}>Held mail of this domain</Link>
      </p>
      <Form
        name="Spam policy"
        fields={[
          { name: 'junk_score', label: 'Move to Junk from score', type: 'score', value: p.junk_score, help: 'rspamd scores; empty follows rspamd’s own actions.' },
          { name: 'quarantine_score', label: 'Hold in quarantine from score', type: 'score', value: p.quarantine_score },
          { name: 'reject_score', label: 'Refuse from score', type: 'score', value: p.reject_score },
          { name: 'virus_action', label: 'A virus is', type: 'select', value: p.virus_action, options: [{ value: '', label: 'as the server is set up' }, { value: 'reject', label: 'refused' }, { value: 'quarantine', label: 'held in the quarantine' }] },
          { name: 'greylist', label: 'Greylist unknown senders', type: 'checkbox', value: p.greylist },
          { name: 'dmarc_enforce', label: 'Enforce senders’ DMARC policies', type: 'checkbox', value: p.dmarc_enforce },
          { name: 'block', label: 'Blocked senders', type: 'list', value: p.block },
          { name: 'allow', label: 'Allowed senders', type: 'list', value: p.allow, help: 'Count only when SPF or DKIM verify the sender’s domain.' },
        ]}
        onSubmit={(v) => put(`/domains/${seg(domain)}/spam-policy`, v)}
        onDone={() => setSaved(true)}
      />
    </Section>
  );
}
