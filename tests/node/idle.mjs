// imapflow (a real Node IMAP client) waiting in IDLE for a new message.
// Driven by tests/integration/test_imap_node.py: env IMAP_PORT (implicit TLS), IMAP_USER,
// IMAP_PASS. Prints "READY <messages>" once IDLE is running, then "NEW <uid> <subject>" for the
// first message that arrives, and exits 0; exits 1 on any error or after 60 s.
import { ImapFlow } from 'imapflow';

const client = new ImapFlow({
  host: '127.0.0.1',
  port: Number(process.env.IMAP_PORT),
  secure: true,
  tls: { rejectUnauthorized: false },
  auth: { user: process.env.IMAP_USER, pass: process.env.IMAP_PASS },
  logger: false,
});

const timer = setTimeout(() => {
  console.log('TIMEOUT');
  process.exit(1);
}, 60000);

async function main() {
  await client.connect();
  if (!client.capabilities.has('IDLE')) throw new Error('server does not announce IDLE');
  const lock = await client.getMailboxLock('INBOX');
  try {
    const arrived = new Promise((resolve) => client.on('exists', resolve));
    client.idle().catch(() => {});
    console.log(`READY ${client.mailbox.exists}`);
    const ev = await arrived;
    // The next command ends IDLE (imapflow sends DONE first).
    const msg = await client.fetchOne(String(ev.count), { envelope: true, uid: true });
    console.log(`NEW ${msg.uid} ${msg.envelope.subject}`);
  } finally {
    lock.release();
  }
  await client.logout();
  clearTimeout(timer);
}

main().catch((err) => {
  console.log(`ERROR ${err.message}`);
  process.exit(1);
});
