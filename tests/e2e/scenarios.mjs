// One scenario per role. Each gets a fresh browser profile; the server and its data are shared
// (scenarios touch different objects, in this order).

function assert(cond, msg) {
  if (!cond) throw new Error('assertion failed: ' + msg);
}

async function see(page, text) {
  await page.getByText(text).first().waitFor({ state: 'visible' });
}

async function login(page, who) {
  await page.goto('/login');
  await page.getByLabel('Address or login').fill(who.login);
  await page.getByLabel('Password', { exact: true }).fill(who.password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('button', { name: 'Log out' }).waitFor();
}

async function logout(page) {
  await page.getByRole('button', { name: 'Log out' }).click();
  await page.getByRole('heading', { level: 1, name: 'Sign in to Posthouse' }).waitFor();
}

async function waitValue(locator, want) {
  for (let i = 0; i < 100; i++) {
    if ((await locator.inputValue()) === want) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`value never became ${want}`);
}

// Follows a main-menu link (behind the Menu button on narrow screens).
async function go(page, name) {
  const toggle = page.getByRole('button', { name: 'Menu' });
  if (await toggle.isVisible()) await toggle.click();
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name, exact: true }).click();
}

// The row of a table that contains `text`.
const row = (page, text) => page.locator('tr', { hasText: text });

// Two messages from alice@acme.example to remote hosts, waiting `deferred` in the outbound
// queue (the hermetic resolver of server.mjs fails every lookup); made once, by SMTP
// submission. Answers their queue ids: {bob, carol}.
async function queued(server, world) {
  if (world.queued) return world.queued;
  const rcpts = { bob: 'bob@remote.example', carol: 'carol@far.example' };
  for (const to of Object.values(rcpts))
    await server.submit({ login: world.alice.login, password: world.alice.password, to, subject: 'to ' + to });
  // The queue runner's first attempt is asynchronous: wait for it (by the admin CLI).
  for (let i = 0; i < 300; i++) {
    const entries = JSON.parse(server.cli(['queue', 'list', '--json']));
    const ids = {};
    for (const [k, to] of Object.entries(rcpts)) {
      const e = entries.find((x) => x.recipients.some((r) => r.address === to && r.state === 'deferred'));
      if (e) ids[k] = e.id;
    }
    if (Object.keys(ids).length === 2) return (world.queued = ids);
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error('the queued mail never became deferred:\n' + server.log().slice(-3000));
}

export const scenarios = [
  {
    name: 'admin',
    async run({ page, world, shot }) {
      await login(page, world.admin);
      await page.getByRole('heading', { level: 1, name: 'Customers' }).waitFor();
      await row(page, 'acme').first().waitFor();
      // A server validation error shows next to its field.
      await page.getByLabel('Name', { exact: true }).fill('acme');
      await page.getByRole('button', { name: 'Create customer' }).click();
      const err = page.locator('.field.has-error');
      await err.getByText("customer 'acme' already exists").waitFor();
      assert((await err.locator('label').innerText()) === 'Name', 'the error is beside the Name field');
      assert(await page.getByLabel('Name', { exact: true }).evaluate((e) => e === document.activeElement), 'the field in error has the focus');
      await shot('validation-error');
      await page.getByLabel('Name', { exact: true }).fill('initech');
      await page.getByLabel('Login address').fill('boss@initech.test');
      await page.getByLabel('Mailboxes at most').fill('25');
      await page.getByRole('button', { name: 'Create customer' }).click();
      await see(page, 'Customer initech created.');
      await page.getByRole('link', { name: 'initech' }).click();
      await page.getByRole('heading', { level: 1, name: 'Customer initech' }).waitFor();
      await page.getByLabel('Domains at most').fill('3');
      await page.getByRole('button', { name: 'Save limits' }).click();
      await see(page, 'Limits saved.');
      await see(page, 'of 3');
      await shot('customer-limits');
      await go(page, 'Audit log');
      await row(page, 'customer.limits').first().waitFor();
      await shot('audit');
    },
  },
  {
    // Platform limits at 360 px, by keyboard: the focus lands on the heading, Tab reaches the
    // first limit, Enter saves; a domain over the limit is refused with the server's message.
    name: 'platform-limits',
    viewport: { width: 360, height: 780 },
    async run({ page, world, shot }) {
      await login(page, world.admin);
      await go(page, 'Platform limits');
      const h1 = page.getByRole('heading', { level: 1, name: 'Platform limits' });
      await h1.waitFor();
      await see(page, '(no limit)');
      assert(await h1.evaluate((e) => e === document.activeElement), 'the new page heading has the focus');
      await page.keyboard.press('Tab');
      const first = page.getByLabel('Domains at most');
      assert(await first.evaluate((e) => e === document.activeElement), 'Tab reaches the first limit');
      await page.keyboard.type('x');
      await page.keyboard.press('Enter');
      await page.locator('.field.has-error', { hasText: 'Domains at most' }).getByText('Enter a whole number.').waitFor();
      await first.fill('3');
      await first.press('Enter');
      await see(page, 'Platform limits saved.');
      await see(page, '3 of 3');
      const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
      assert(overflow <= 0, 'no horizontal scrolling at 360 px, overflow ' + overflow);
      await shot('platform-limits');
      // The limit holds: a fourth domain is refused, with the reason.
      await go(page, 'Domains');
      await page.getByLabel('Domain name').fill('over.example');
      await page.getByLabel('Customer', { exact: true }).fill('acme');
      await page.getByRole('button', { name: 'Add domain' }).click();
      await see(page, 'the platform limit of 3 domains is reached');
      await shot('over-platform-limit');
      // Lowering below usage is allowed and says what it blocks; clearing lifts it.
      await go(page, 'Platform limits');
      await page.getByLabel('Domains at most').fill('2');
      await page.getByRole('button', { name: 'Save limits' }).click();
      await see(page, 'Usage is above the limit for domains');
      await page.getByLabel('Domains at most').fill('');
      await page.getByRole('button', { name: 'Save limits' }).click();
      await page.getByText('Usage is above the limit').waitFor({ state: 'detached' });
      await go(page, 'Audit log');
      await row(page, 'platform.limits').first().waitFor();
    },
  },
  {
    name: 'customer',
    async run({ page, world, shot }) {
      await login(page, world.boss);
      await page.getByRole('heading', { level: 1, name: 'Domains' }).waitFor();
      await page.getByLabel('Domain name').fill('new.example');
      await page.getByLabel('Postmaster password').fill('Pm-password-123');
      await page.getByRole('button', { name: 'Add domain' }).click();
      await see(page, 'its postmaster is postmaster@new.example');
      await row(page, 'new.example').waitFor();
      await shot('domains');
      // Domain aliases, on the domain's settings tab (at 360 px: cards, no sideways scrolling).
      await page.setViewportSize({ width: 360, height: 780 });
      await page.goto('/domains/acme.example?tab=settings');
      await page.getByLabel('Domain alias', { exact: true }).fill('not a domain!');
      await page.getByRole('button', { name: 'Add domain alias' }).click();
      await page.locator('.field.has-error', { hasText: 'Domain alias' }).waitFor();
      await page.getByLabel('Domain alias', { exact: true }).fill('acme-mail.example');
      await page.getByRole('button', { name: 'Add domain alias' }).click();
      await see(page, 'Domain alias added.');
      await row(page, 'acme-mail.example').waitFor();
      const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
      assert(overflow <= 0, 'no horizontal scrolling at 360 px, overflow ' + overflow);
      await shot('domain-aliases');
      page.once('dialog', (d) => d.accept());
      await page.getByRole('button', { name: 'Remove domain alias acme-mail.example' }).click();
      await see(page, 'Domain alias acme-mail.example removed.');
      await row(page, 'acme-mail.example').waitFor({ state: 'detached' });
      await page.setViewportSize({ width: 1280, height: 900 });
      // Templates: editing adds a version.
      await go(page, 'Templates');
      await page.getByRole('button', { name: 'Edit template staff' }).click();
      await page.getByRole('form', { name: 'Edit template' }).getByLabel('Mailbox quota').fill('3G');
      await page.getByRole('button', { name: 'Save as new version' }).click();
      await see(page, 'Template staff is now at version 2.');
      await shot('templates');
      // Managers: a scoped manager with an outside login.
      await go(page, 'Managers');
      await row(page, world.manager.login).waitFor();
      await page.getByLabel('Login address').fill('partner@elsewhere.example');
      await page.getByRole('checkbox', { name: 'new.example' }).check();
      await page.getByRole('button', { name: 'Create manager' }).click();
      await see(page, 'Manager partner@elsewhere.example created.');
      await row(page, 'partner@elsewhere.example').getByText('new.example').waitFor();
      // The manager's own white label, for mail to the users of its domains.
      await page.getByRole('button', { name: `Edit ${world.manager.login}` }).click();
      await page.getByLabel('Product name').fill('Partner Mail');
      await page.locator('.mail-preview dd', { hasText: 'Welcome to Partner Mail' }).waitFor();
      await page.getByRole('button', { name: 'Save', exact: true }).click();
      await see(page, 'Saved.');
      // Delegations: the HR delegation is listed with its grantee and template.
      await go(page, 'Delegations');
      const hr = row(page, world.hr.login);
      await hr.getByText('staff').waitFor();
      await shot('delegations');
      // White label: the preview follows the form.
      await go(page, 'White label');
      await page.getByLabel('Product name').fill('Acme Mail');
      await page.getByLabel('Sender address').fill('support@acme.test');
      await page.locator('.mail-preview dd', { hasText: 'Welcome to Acme Mail' }).waitFor();
      await page.getByRole('button', { name: 'Save', exact: true }).click();
      await see(page, 'Saved.');
      await page.locator('.mail-preview dd', { hasText: 'Acme Mail <support@acme.test>' }).waitFor();
      await shot('white-label');
    },
  },
  {
    name: 'manager',
    async run({ page, world, shot }) {
      await login(page, world.manager);
      await page.getByRole('heading', { level: 1, name: 'Domains' }).waitFor();
      await row(page, 'shop.example').waitFor();
      assert((await row(page, 'acme.example').count()) === 0, 'a scoped manager sees only its domains');
      await page.getByRole('link', { name: 'shop.example' }).click();
      await page.getByRole('heading', { level: 1, name: 'Domain shop.example' }).waitFor();
      await page.getByLabel('Address', { exact: true }).fill('info');
      await page.getByRole('button', { name: 'Create mailbox' }).click();
      await see(page, 'Mailbox info@shop.example created.');
      await shot('domain');
      await page.goto('/domains/acme.example');
      await see(page, 'not found');
    },
  },
  {
    name: 'postmaster',
    async run({ page, world, shot }) {
      await login(page, world.postmaster);
      await page.getByRole('heading', { level: 1, name: 'Domain acme.example' }).waitFor();
      await row(page, world.alice.login).waitFor();
      await see(page, 'of 20');
      await shot('mailboxes');
      await page.getByRole('button', { name: `Edit ${world.alice.login}` }).click();
      await page.getByLabel(`Quota of ${world.alice.login}`).fill('1G');
      await page.getByRole('button', { name: 'Save mailbox' }).click();
      await see(page, `${world.alice.login} saved.`);
      await row(page, world.alice.login).getByText('1.0 GiB').waitFor();
      await page.getByRole('link', { name: 'Aliases' }).click();
      await page.getByLabel('Alias address').fill('sales');
      await page.getByLabel('Delivers to').fill(world.alice.login);
      await page.getByRole('button', { name: 'Save alias' }).click();
      await row(page, 'sales@acme.example').waitFor();
      await shot('aliases');
      // Another domain's pages, even by URL: the same "not found" as a nonexistent domain.
      await page.goto('/domains/globex.example');
      await see(page, "domain 'globex.example' not found");
      await shot('other-domain');
      await page.goto('/domains/nonexistent.example');
      await see(page, "domain 'nonexistent.example' not found");
      await page.goto('/domains/globex.example?tab=aliases');
      await see(page, "domain 'globex.example' not found");
      assert((await page.getByText('@globex.example').count()) === 0, 'nothing of globex shows');
    },
  },
  {
    name: 'hr-user-manager',
    viewport: { width: 360, height: 780 },
    async run({ page, world, shot }) {
      await login(page, world.hr);
      await page.getByRole('heading', { level: 1, name: 'User Manager' }).waitFor();
      await row(page, 'leaver@acme.example').waitFor();
      // Only what was delegated is offered.
      const nav = await page.getByRole('navigation', { name: 'Main' }).locator('a').allInnerTexts();
      for (const hidden of ['Domains', 'Delegations', 'Audit log', 'Templates', 'Managers'])
        assert(!nav.includes(hidden), `${hidden} is not offered to a delegate`);
      const options = await page.getByLabel('Template').locator('option').allInnerTexts();
      assert(options.length === 1 && options[0].startsWith('staff'), 'only the allowed template is offered: ' + options);
      assert((await page.getByRole('button', { name: /^Restore/ }).count()) === 0, 'no restore without mailbox.restore');
      // At 360 px nothing overflows sideways.
      const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
      assert(overflow <= 0, 'no horizontal scrolling at 360 px, overflow ' + overflow);
      await shot('user-manager');
      await page.getByLabel('Address', { exact: true }).fill('new.hire');
      await page.getByLabel('Full name').fill('New Hire');
      await page.getByLabel('Password', { exact: true }).fill('New-hire-pass-1');
      await page.getByRole('button', { name: 'Create mailbox' }).click();
      await see(page, 'Mailbox new.hire@acme.example created.');
      await row(page, 'new.hire@acme.example').waitFor();
      await shot('created');
      await page.getByRole('button', { name: 'Reset password of new.hire@acme.example' }).click();
      await page.getByLabel('New password for new.hire@acme.example').fill('Another-pass-22');
      await page.getByRole('button', { name: 'Set password', exact: true }).click();
      await see(page, 'Password of new.hire@acme.example changed.');
      await page.getByRole('button', { name: 'Close', exact: true }).click();
      page.once('dialog', (d) => d.accept());
      await page.getByRole('button', { name: 'Delete leaver@acme.example' }).click();
      await see(page, 'leaver@acme.example deleted.');
      await see(page, 'can restore it until the retention period ends');
      await shot('deleted');
      await logout(page);
      // The postmaster restores it.
      await login(page, world.postmaster);
      await go(page, 'Deleted items');
      await page.getByRole('button', { name: 'Restore leaver@acme.example' }).click();
      await see(page, 'leaver@acme.example restored with its mail.');
      await shot('restored');
      await page.goto('/domains/acme.example');
      await row(page, 'leaver@acme.example').getByText('active').waitFor();
    },
  },
  {
    name: 'user',
    async run({ page, world, shot }) {
      await login(page, world.alice);
      await page.getByRole('heading', { level: 1, name: 'My mailbox' }).waitFor();
      await see(page, 'Mailbox size');
      await see(page, 'running');
      await page.getByLabel('Forward my mail to').fill('alice@home.example');
      await page.getByRole('button', { name: 'Save forward' }).click();
      await see(page, 'Forward saved.');
      await page.getByLabel('Answer incoming mail automatically').check();
      await page.getByLabel('Subject').fill('Away');
      await page.getByLabel('Message').fill('Back on Monday.');
      await page.getByLabel('From (first day)').fill('2030-01-01');
      await page.getByLabel('Until (last day)').fill('2030-01-10');
      await page.getByRole('button', { name: 'Save autoresponder' }).click();
      await see(page, 'Autoresponder saved.');
      await page.reload();
      await waitValue(page.getByLabel('Subject'), 'Away');
      assert((await page.getByLabel('Until (last day)').inputValue()) === '2030-01-10', 'end date kept');
      await shot('my-mailbox');
      // A bad forward target: the server's message shows next to the field.
      await page.getByLabel('Forward my mail to').fill('not an address');
      await page.getByRole('button', { name: 'Save forward' }).click();
      await page.locator('.field.has-error', { hasText: 'Forward my mail to' }).waitFor();
      // Own API tokens: the secret once, a copy button, list, revoke.
      await go(page, 'API tokens');
      await page.getByLabel('Name', { exact: true }).fill('backup script');
      await page.getByLabel('Read-only').check();
      await page.getByLabel('Allowed client addresses').fill('127.0.0.1');
      await page.getByRole('button', { name: 'Create token' }).click();
      const secret = await page.getByTestId('token-secret').innerText();
      assert(secret.startsWith('pht_'), 'secret shown');
      await page.getByRole('button', { name: 'Copy' }).waitFor();
      await row(page, 'backup script').getByText('read-only').waitFor();
      await shot('token-created');
      const r = await fetch(new URL('/api/v1/me', page.url()), { headers: { Authorization: 'Bearer ' + secret } });
      assert(r.status === 200, 'the new token works: ' + r.status);
      page.once('dialog', (d) => d.accept());
      await page.getByRole('button', { name: 'Revoke token backup script' }).click();
      await row(page, 'backup script').getByText('revoked').waitFor();
      await page.reload();
      assert((await page.getByTestId('token-secret').count()) === 0, 'the secret is not shown again');
      const r2 = await fetch(new URL('/api/v1/me', page.url()), { headers: { Authorization: 'Bearer ' + secret } });
      assert(r2.status === 401, 'a revoked token is refused: ' + r2.status);
      // Change own password, then sign in with the new one.
      await go(page, 'Password');
      await page.getByLabel('New password', { exact: true }).fill('Alice-new-pass-9');
      await page.getByLabel('New password again').fill('Alice-new-pass-9');
      await page.getByRole('button', { name: 'Change password' }).click();
      await page.getByRole('heading', { level: 1, name: 'Sign in to Posthouse' }).waitFor();
      world.alice.password = 'Alice-new-pass-9';
      await login(page, world.alice);
    },
  },
  {
    // The platform admin's outbound queue: list with server filters, one entry at 360 px by
    // keyboard, retry (the answer shows the recipient due now), delete (after a confirmation).
    name: 'outbound-queue',
    async run({ page, server, world, shot }) {
      const q = await queued(server, world);
      await login(page, world.admin);
      await go(page, 'Outbound queue');
      await page.getByRole('heading', { level: 1, name: 'Outbound queue' }).waitFor();
      const bob = row(page, q.bob);
      for (const text of ['deferred', 'alice@acme.example', 'bob@remote.example', 'acme.example']) await bob.getByText(text).first().waitFor();
      await bob.getByText(/\(in \d+ min\)/).waitFor();
      await row(page, q.carol).getByText('carol@far.example').waitFor();
      await shot('list');
      // The filters are the server's: no entry is delivered; one goes to far.example.
      const stateFilter = page.getByLabel('State', { exact: true });
      await stateFilter.selectOption('delivered');
      await see(page, 'No queue entries here.');
      assert((await row(page, q.bob).count()) === 0, 'the state filter hides the deferred entry');
      await stateFilter.selectOption('deferred');
      await bob.waitFor();
      const rcptFilter = page.getByLabel('Recipient domain');
      await rcptFilter.fill('far.example');
      await rcptFilter.press('Enter');
      await bob.waitFor({ state: 'detached' });
      await row(page, q.carol).waitFor();
      // A bad filter: the server's reason is shown.
      await rcptFilter.fill('not a domain!');
      await rcptFilter.press('Enter');
      await page.getByRole('alert').getByText('recipient_domain is not a domain name').waitFor();
      await shot('filter-error');
      await rcptFilter.fill('');
      await rcptFilter.press('Enter');
      await stateFilter.selectOption('');
      // One entry, at 360 px, by keyboard.
      await page.setViewportSize({ width: 360, height: 780 });
      await page.getByRole('link', { name: q.bob }).focus();
      await page.keyboard.press('Enter');
      const h1 = page.getByRole('heading', { level: 1, name: `Queue entry ${q.bob}` });
      await h1.waitFor();
      assert(await h1.evaluate((e) => e === document.activeElement), 'the entry heading has the focus');
      const facts = page.locator('dl.facts');
      await facts.getByText('alice@acme.example').waitFor();
      await facts.getByText('acme.example', { exact: true }).waitFor();
      await facts.getByText('deferred', { exact: true }).waitFor();
      const rcpt = row(page, 'bob@remote.example');
      const cell = (label) => rcpt.locator(`td[data-label="${label}"]`);
      await cell('State').getByText('deferred').waitFor();
      assert((await cell('Attempts').innerText()).endsWith('1'), 'one attempt: ' + (await cell('Attempts').innerText()));
      await cell('Last error').getByText('MX of remote.example').waitFor();
      await cell('Next attempt').getByText(/\(in \d+ min\)/).waitFor();
      const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
      assert(overflow <= 0, 'no horizontal scrolling at 360 px, overflow ' + overflow);
      await shot('entry');
      await page.getByRole('button', { name: 'Retry now' }).focus();
      await page.keyboard.press('Enter');
      await see(page, 'Retried: its waiting recipients are due now.');
      await cell('State').getByText('queued').waitFor();
      await cell('Next attempt').getByText('due now').waitFor();
      await facts.getByText('queued', { exact: true }).waitFor();
      await shot('retried');
      // Delete, after a confirmation that names the recipients.
      await page.goto(`/queue/${q.carol}`);
      await page.getByRole('heading', { level: 1, name: `Queue entry ${q.carol}` }).waitFor();
      let asked = '';
      page.once('dialog', (d) => {
        asked = d.message();
        d.accept();
      });
      await page.getByRole('button', { name: `Delete queue entry ${q.carol}` }).click();
      await see(page, `Queue entry ${q.carol} deleted; no bounce was sent.`);
      assert(asked.includes('carol@far.example'), 'the confirmation names the recipient: ' + asked);
      await page.getByRole('heading', { level: 1, name: 'Outbound queue' }).waitFor();
      await row(page, q.bob).waitFor();
      assert((await row(page, q.carol).count()) === 0, 'the deleted entry is not listed');
      await shot('deleted');
      await page.goto(`/queue/${q.carol}`);
      await page.getByRole('alert').getByText(`queue entry '${q.carol}' not found`).waitFor();
      await page.goto('/queue/not-an-id');
      await page.getByRole('alert').getByText('a queue id is Q followed by 16 hexadecimal digits').waitFor();
    },
  },
  {
    // Another customer's queued mail: not listed, and its URL is "not found" exactly like an
    // entry that does not exist; a postmaster (no queue at all) gets the same.
    name: 'outbound-queue-scope',
    async run({ page, server, world, shot }) {
      const q = await queued(server, world);
      await login(page, world.globex);
      await go(page, 'Outbound queue');
      await page.getByRole('heading', { level: 1, name: 'Outbound queue' }).waitFor();
      await see(page, 'No queue entries here.');
      assert((await page.getByText(q.bob).count()) === 0, 'acme\'s entry is not listed');
      assert((await page.getByText('alice@acme.example').count()) === 0, 'nothing of acme shows');
      await shot('list');
      await page.goto(`/queue/${q.bob}`);
      await page.getByRole('alert').getByText(`queue entry '${q.bob}' not found`).waitFor();
      assert((await page.getByText('alice@acme.example').count()) === 0, 'nothing of the entry shows');
      assert((await page.getByRole('button', { name: 'Retry now' }).count()) === 0, 'no actions on an entry not found');
      await shot('other-entry');
      await page.goto('/queue/Q00000000000000ff');
      await page.getByRole('alert').getByText("queue entry 'Q00000000000000ff' not found").waitFor();
      await logout(page);
      await login(page, world.other);
      const nav = await page.getByRole('navigation', { name: 'Main' }).locator('a').allInnerTexts();
      assert(!nav.includes('Outbound queue'), 'the queue is not offered to a postmaster');
      await page.goto(`/queue/${q.bob}`);
      await page.getByRole('alert').getByText(`queue entry '${q.bob}' not found`).waitFor();
    },
  },
  // Last: the lock it provokes covers the client IP (127.0.0.1) for every account.
  {
    // Mail held for qa (world.mjs): the notice's link releases one message without a login
    // (the page alone, no shell); the user releases the other from the Quarantine page.
    name: 'quarantine',
    async run({ page, server, world, shot }) {
      const qa = world.qa;
      await server.mx({ from: 'offers@pest.example', to: 'team@acme.example', subject: 'Held one' });
      await server.mx({ from: 'offers@pest.example', to: 'team@acme.example', subject: 'Held two' });
      const inbox = await server.inbox(qa);
      // (the notice lists them indented: a message's own Subject field starts a line)
      assert(!/^Subject: Held (one|two)/m.test(inbox), 'nothing held reached the inbox');
      const links = [...inbox.matchAll(/release\?token=([A-Za-z0-9_-]+)/g)].map((m) => m[1]);
      assert(links.length === 1, `one notice with one link, got ${links.length}:\n${inbox.slice(-2000)}`);
      await page.goto('/release?token=' + links[0]);
      await page.getByRole('heading', { level: 1, name: 'Release held mail' }).waitFor();
      await see(page, 'Held one');
      assert((await page.getByRole('button', { name: 'Log out' }).count()) === 0, 'no login, no shell');
      await page.getByRole('button', { name: 'Release to my inbox' }).click();
      await see(page, 'Released: the message is in your inbox now.');
      await shot('quarantine-link-released');
      await page.goto('/release?token=' + links[0]);
      await see(page, 'This link is not valid any more');

      await login(page, qa);
      await go(page, 'Quarantine');
      await page.getByRole('heading', { level: 1, name: 'Quarantine' }).waitFor();
      await row(page, 'Held two').waitFor();
      assert((await row(page, 'Held one').count()) === 0, 'the released one is gone');
      await page.getByRole('button', { name: 'Release Held two from <offers@pest.example>' }).click();
      await see(page, 'Released “Held two”');
      await see(page, 'Nothing is held.');
      await shot('quarantine-page');
      const after = await server.inbox(qa);
      assert(/^Subject: Held one/m.test(after) && /^Subject: Held two/m.test(after), 'both released into INBOX');
      // Its own settings: a bad score is refused beside its field; a stricter one is saved.
      const form = page.getByRole('form', { name: 'My spam settings' });
      await form.getByLabel('Move to Junk from score').fill('high');
      await form.getByRole('button', { name: 'Save' }).click();
      await see(page, 'Enter a number like 6 or 7.5');
      await form.getByLabel('Move to Junk from score').fill('4.5');
      await form.getByRole('button', { name: 'Save' }).click();
      await see(page, 'Saved.');
      const saved = JSON.parse(server.cli(['--json', 'mailbox', 'spam-settings', qa.login]));
      assert(saved.junk_score === 4.5 && saved.block.includes('pest.example'), 'saved: ' + JSON.stringify(saved));
      await logout(page);
    },
  },
  {
    name: 'login-throttle',
    async run({ page, world, shot }) {
      await page.goto('/domains');
      await page.getByRole('heading', { level: 1, name: 'Sign in to Posthouse' }).waitFor();
      await page.getByLabel('Address or login').fill(world.boss.login);
      await page.getByLabel('Password', { exact: true }).fill('wrong-password');
      await page.getByRole('button', { name: 'Sign in' }).click();
      await see(page, 'Wrong login or password');
      await shot('wrong-password');
      // Throttling: after repeated failures the server refuses with 429 and the form says so.
      let locked = false;
      for (let i = 0; i < 15 && !locked; i++) {
        await page.getByLabel('Password', { exact: true }).fill('wrong-password-' + i);
        await page.getByRole('button', { name: 'Sign in' }).click();
        await page.getByRole('button', { name: 'Sign in' }).waitFor({ timeout: 60000 });
        locked = await page.getByText('Too many failed sign-ins').isVisible();
      }
      assert(locked, 'repeated failures lock the login');
      await shot('throttled');
    },
  },
];
