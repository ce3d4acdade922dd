// Limits (counts and sizes) as a form, and usage against them.
import { Form, UsageBar } from '../ui.jsx';
import { formatBytes } from '../format.js';

// The limit fields of a create form (domains only where a count of domains applies).
export function limitFields(withDomains = true) {
  return [
    ...(withDomains ? [{ name: 'max_domains', label: 'Domains at most', type: 'number' }] : []),
    { name: 'max_mailboxes', label: 'Mailboxes at most', type: 'number' },
    { name: 'max_mailbox_bytes', label: 'Size of one mailbox at most', type: 'size', help: 'e.g. 5G' },
    { name: 'max_total_bytes', label: 'Total size (sum of quotas) at most', type: 'size' },
  ];
}

export function LimitsForm({ limits, withDomains = true, onSubmit, onDone }) {
  const l = limits || {};
  return (
    <Form
      name="Limits"
      submit="Save limits"
      fields={limitFields(withDomains).map((f) => ({ ...f, value: l[f.name], keepNull: true, help: 'Empty: no limit of its own.' }))}
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
