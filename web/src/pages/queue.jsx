// The outbound queue: the entries the server lets the actor see (docs/outbound.md, "Who sees
// what"), one entry's recipients, retry and delete. Every decision is the server's.
import { useState } from 'preact/hooks';
import { post, del, seg } from '../api.js';
import { PagedTable, Section, Link, ActionButton, Notice, ErrorNotice, DomainFilter, useLoad, useLocation, navigate } from '../ui.jsx';
import { formatBytes, formatTime, formatDue } from '../format.js';

const STATES = ['queued', 'sending', 'deferred', 'delivered', 'bounced', 'expired'];

const sender = (e) => e.sender || '<> (a report, no sender)';
const State = ({ s }) => <span class={'badge q-' + s}>{s}</span>;

// The earliest next attempt of the entry's waiting recipients (null when none waits).
function nextAttempt(e) {
  const ts = e.recipients.map((r) => r.next_attempt_at).filter((t) => t !== null && t !== undefined);
  return ts.length ? Math.min(...ts) : null;
}

export function Queue() {
  const { query } = useLocation();
  const deleted = query.get('deleted');
  const [state, setState] = useState('');
  const [domain, setDomain] = useState('');
  const [rcptDomain, setRcptDomain] = useState('');
  return (
    <>
      <h1>Outbound queue</h1>
      <p class="help">Mail waiting to be sent to other hosts, and mail sent or given up on in the last day, oldest first. An entry's state is the least advanced of its recipients.</p>
      {deleted && <Notice>Queue entry {deleted} deleted; no bounce was sent.</Notice>}
      <div class="filters">
        <div class="filter">
          <label for="queue-state">State</label>
          <select id="queue-state" value={state} onChange={(e) => setState(e.currentTarget.value)}>
            <option value="">All states</option>
            {STATES.map((s) => (
              <option value={s}>{s}</option>
            ))}
          </select>
        </div>
        <DomainFilter value={domain} set={setDomain} id="queue-domain" label="Sent for domain" />
        <div class="filter">
          <label for="queue-rcpt-domain">Recipient domain</label>
          <input id="queue-rcpt-domain" type="search" value={rcptDomain} aria-describedby="queue-rcpt-help" onChange={(e) => setRcptDomain(e.currentTarget.value.trim())} />
          <p class="help" id="queue-rcpt-help">
            Applied when you press Enter or leave the field.
          </p>
        </div>
      </div>
      <PagedTable
        path="/queue"
        params={{ state, domain, recipient_domain: rcptDomain }}
        caption="Queue entries"
        text={(e) => `${e.id} ${e.sender} ${e.domain || ''} ${e.state} ${e.recipients.map((r) => r.address).join(' ')}`}
        empty="No queue entries here."
        columns={[
          { label: 'Entry', render: (e) => <Link href={`/queue/${seg(e.id)}`}>{e.id}</Link> },
          { label: 'State', render: (e) => <State s={e.state} /> },
          { label: 'From', render: sender },
          { label: 'To', render: (e) => e.recipients.map((r) => r.address).join(', ') },
          { label: 'Sent for', render: (e) => e.domain || '—' },
          { label: 'Queued', render: (e) => formatTime(e.created_at) },
          { label: 'Next attempt', render: (e) => formatDue(nextAttempt(e)) },
        ]}
      />
    </>
  );
}

export function QueueEntry({ id }) {
  const d = useLoad(`/queue/${seg(id)}`);
  // The entry as the last retry answered it, until the page is loaded again.
  const [retried, setRetried] = useState(null);
  const e = retried || d.data;
  // The heading is there from the start, so the shell's focus move to it finds it.
  const head = (
    <>
      <h1>Queue entry {id}</h1>
      <p>
        <Link href="/queue">Back to the outbound queue</Link>
      </p>
    </>
  );
  if (d.error)
    return (
      <>
        {head}
        <ErrorNotice error={d.error} />
      </>
    );
  if (!e)
    return (
      <>
        {head}
        <p class="loading">Loading…</p>
      </>
    );
  return (
    <>
      {head}
      {retried && <Notice>Retried: its waiting recipients are due now.</Notice>}
      <Section title="Envelope">
        <dl class="facts">
          <dt>State</dt>
          <dd>
            <State s={e.state} />
          </dd>
          <dt>From</dt>
          <dd>{sender(e)}</dd>
          <dt>Sent for</dt>
          <dd>{e.domain || '— (no local domain)'}</dd>
          <dt>Size</dt>
          <dd>{formatBytes(e.size)}</dd>
          <dt>Queued</dt>
          <dd>{formatTime(e.created_at)}</dd>
        </dl>
      </Section>
      <Section title="Recipients">
        <div class="table-wrap">
          <table>
            <thead>
              <tr>
                <th scope="col">Recipient</th>
                <th scope="col">State</th>
                <th scope="col">Attempts</th>
                <th scope="col">Next attempt</th>
                <th scope="col">Last error</th>
              </tr>
            </thead>
            <tbody>
              {e.recipients.map((r) => (
                <tr>
                  <td data-label="Recipient">{r.address}</td>
                  <td data-label="State">
                    <State s={r.state} />
                  </td>
                  <td data-label="Attempts">{r.attempts}</td>
                  <td data-label="Next attempt">{formatDue(r.next_attempt_at)}</td>
                  <td data-label="Last error">{r.last_error ? <code>{r.last_error}</code> : '—'}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      </Section>
      <Section title="Actions">
        <p class="help">Retry makes the waiting recipients due now. Delete drops the message for good without telling its sender.</p>
        <div class="actions">
          <ActionButton label="Retry now" kind="" action={() => post(`/queue/${seg(e.id)}/retry`)} onDone={setRetried} />
          <span class="action">
            <button
              type="button"
              class="secondary"
              onClick={() => {
                setRetried(null);
                d.reload();
              }}
            >
              Refresh
            </button>
          </span>
          <ActionButton
            label="Delete"
            kind="danger"
            ariaLabel={`Delete queue entry ${e.id}`}
            confirm={`Delete queue entry ${e.id}? Its mail to ${e.recipients.map((r) => r.address).join(', ')} is dropped and the sender is not told.`}
            action={() => del(`/queue/${seg(e.id)}`)}
            onDone={() => navigate(`/queue?deleted=${seg(e.id)}`)}
          />
        </div>
      </Section>
    </>
  );
}
