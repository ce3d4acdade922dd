// The platform admin's caps over the whole server, and the server's usage against them.
import { useState } from 'preact/hooks';
import { put } from '../api.js';
import { Section, Notice, ErrorNotice, useLoad } from '../ui.jsx';
import { LimitsForm, UsageBars } from './limits.jsx';

const OVER = { max_domains: 'domains', max_mailboxes: 'mailboxes', max_total_bytes: 'total size' };

export function Platform() {
  const p = useLoad('/platform/limits');
  const [saved, setSaved] = useState(null);
  // The heading is there from the first render, so the shell can move the focus to it.
  if (p.error || !p.data)
    return (
      <>
        <h1>Platform limits</h1>
        {p.error ? <ErrorNotice error={p.error} /> : <p class="loading">Loading…</p>}
      </>
    );
  const { limits, usage, over } = p.data;
  return (
    <>
      <h1>Platform limits</h1>
      <p class="help">
        Caps over the whole server, above every customer's own limits. A limit lower than what is already in use removes nothing: new
        domains, mailboxes and larger quotas are refused until usage is below it again.
      </p>
      <Section title="Usage of the whole server">
        <UsageBars usage={usage} limits={limits} />
        {over.length > 0 && (
          <Notice kind="warn">Usage is above the limit for {over.map((k) => OVER[k] || k).join(', ')}: nothing new of that kind can be created.</Notice>
        )}
      </Section>
      <Section title="Set platform limits">
        <Notice>{saved}</Notice>
        <LimitsForm
          key={JSON.stringify(limits)}
          limits={limits}
          onSubmit={(v) => put('/platform/limits', v)}
          onDone={() => {
            setSaved('Platform limits saved.');
            p.reload();
          }}
        />
      </Section>
    </>
  );
}
