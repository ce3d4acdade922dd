// The data every scenario starts from, made with the admin CLI (the same service layer and
// policy as the panel): two customers, domains, templates, an HR delegate, a mailbox owner.
import crypto from 'node:crypto';

const pw = () => 'Pw-' + crypto.randomBytes(9).toString('base64url');

export async function seed(server) {
  const w = {
    admin: { login: 'admin', password: server.adminPassword },
    boss: { login: 'boss@acme.test', password: pw() },
    postmaster: { login: 'postmaster@acme.example', password: pw() },
    hr: { login: 'hr@acme.example', password: pw() },
    alice: { login: 'alice@acme.example', password: pw() },
    manager: { login: 'ops@partner.example', password: pw() },
    other: { login: 'postmaster@globex.example', password: pw() },
    globex: { login: 'boss@globex.test', password: pw() },
    qa: { login: 'qa@acme.example', password: pw() },
  };
  const cli = (args, input) => server.cli(args, input);
  cli(['customer', 'create', 'acme', '--login', w.boss.login, '--password-stdin', '--max-mailboxes', '50'], w.boss.password);
  cli(['domain', 'create', 'acme.example', '--customer', 'acme', '--password-stdin', '--max-mailboxes', '20'], w.postmaster.password);
  cli(['domain', 'create', 'shop.example', '--customer', 'acme']);
  cli(['template', 'create', 'staff', '--customer', 'acme', '--quota', '2G', '--services', 'imap,smtp,webmail,-pop3,tokens']);
  cli(['template', 'create', 'board', '--customer', 'acme', '--quota', '20G']);
  cli(['mailbox', 'create', w.hr.login, '--template', 'staff', '--name', 'HR', '--password-stdin'], w.hr.password);
  cli(['mailbox', 'create', w.alice.login, '--template', 'staff', '--name', 'Alice Example', '--password-stdin'], w.alice.password);
  cli(['mailbox', 'create', 'leaver@acme.example', '--template', 'staff', '--name', 'Leaver']);
  cli(['--as', w.boss.login, 'delegation', 'create', w.hr.login, '--verbs', 'mailbox.create,mailbox.delete,mailbox.password', '--domain', 'acme.example', '--template', 'staff', '--days', '365']);
  cli(['--as', w.boss.login, 'manager', 'create', w.manager.login, '--domain', 'shop.example', '--max-mailboxes', '10', '--password-stdin'], w.manager.password);
  // The quarantine scenario: team@ reaches qa and qb; qa blocks pest.example, so its copy of
  // mail from there (while qb takes it) is held in the quarantine.
  cli(['mailbox', 'create', w.qa.login, '--template', 'staff', '--name', 'QA', '--password-stdin'], w.qa.password);
  cli(['mailbox', 'create', 'qb@acme.example', '--template', 'staff', '--name', 'QB']);
  cli(['alias', 'set', 'team@acme.example', w.qa.login, 'qb@acme.example']);
  cli(['mailbox', 'spam-settings', w.qa.login, '--block', 'pest.example']);
  cli(['customer', 'create', 'globex', '--login', w.globex.login, '--password-stdin'], w.globex.password);
  cli(['domain', 'create', 'globex.example', '--customer', 'globex', '--password-stdin'], w.other.password);
  return w;
}
