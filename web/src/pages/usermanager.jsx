// The User Manager (the seed product's heart): a delegate — e.g. HR — creates mailboxes from
// its allowed templates, resets passwords and deletes, in its delegated domains only.
import { Section, useLoad, ErrorNotice } from '../ui.jsx';
import { MailboxList } from './mailboxes.jsx';
import { formatTime } from '../format.js';

export function UserManager({ me }) {
  const domains = useLoad('/domains?limit=1000');
  const now = Date.now() / 1000;
  const active = (me.delegations || []).filter((d) => !d.expires_at || d.expires_at > now);
  // Verbs per domain id, over every active delegation this login holds.
  const verbs = {};
  for (const d of active) for (const id of d.domain_ids) verbs[id] = new Set([...(verbs[id] || []), ...d.verbs]);
  const doms = ((domains.data && domains.data.items) || []).filter((d) => verbs[d.id] && d.status !== 'deleted');
  const expiry = active.map((d) => d.expires_at).filter(Boolean).sort()[0];
  return (
    <>
      <h1>User Manager</h1>
      <p class="help">
        You manage the mailboxes below on behalf of your organisation.
        {expiry ? ` Your delegation runs until ${formatTime(expiry)}.` : ''}
      </p>
      <ErrorNotice error={domains.error} />
      {active.length === 0 && <p>You hold no active delegation.</p>}
      {doms.map((d) => {
        const v = verbs[d.id];
        return (
          <Section title={`Mailboxes of ${d.name}`} key={d.id}>
            <MailboxList
              domain={d.name}
              can={{
                create: v.has('mailbox.create'),
                edit: v.has('mailbox.edit'),
                password: v.has('mailbox.password'),
                delete: v.has('mailbox.delete'),
                restore: v.has('mailbox.restore'),
              }}
              restoreHint={`the postmaster of ${d.name} can restore it until the retention period ends.`}
            />
          </Section>
        );
      })}
    </>
  );
}
