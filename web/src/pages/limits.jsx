// Limits (counts and sizes) as a form, and usage against them.
import { Form, UsageBar } from '../ui.jsx';
import { formatBytes } from '../format.js';

export function LimitsForm({ limits, withDomains = true, onSubmit, onDone }) {
  const l = limits || {};
  const f = (name, label, type, help) => ({ name, label, type, value: l[name], keepNull: true, help });
  return (
    <Form
      name="Limits"
      submit="Save limits"
      fields={[
        ...(withDomains ? [f('max_domains', 'Domains at most', 'number', 'Empty: no limit of its own.')] : []),
        f('max_mailboxes', 'Mailboxes at most', 'number', 'Empty: no limit of its own.'),
        f('max_mailbox_bytes', 'Size of one mailbox at most', 'size', 'e.g. 5G. Empty: no limit of its own.'),
        f('max_total_bytes', 'Total size (sum of quotas) at most', 'size', 'e.g. 100G.'),
      ]}
      onSubmit={onSubmit}
      onDone={onDone}
    />
  );
}

export function UsageBars({ usage, limits }) {
  if (!usage) return null;
  const l = limits || usage.limits || {};
  return (
    <div class="usage-list">
      {usage.domains !== undefined && l.max_domains !== undefined && <UsageBar label="Domains" used={usage.domains} limit={l.max_domains} />}
      <UsageBar label="Mailboxes" used={usage.mailboxes} limit={l.max_mailboxes} />
      <UsageBar label="Total size (sum of quotas)" used={usage.bytes} limit={l.max_total_bytes} format={formatBytes} />
      {l.max_mailbox_bytes ? <p class="help">One mailbox at most {formatBytes(l.max_mailbox_bytes)}.</p> : null}
    </div>
  );
}
