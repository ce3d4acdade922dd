// Starts a real `posthouse serve` for the browser tests, the way tests/integration/harness.py
// does: `init` into a temp data dir, the http and submissions listeners alone on free ephemeral
// ports, cheap password hashing, a hermetic queue runner, then `serve`. The binary comes from
// $POSTHOUSE_BIN.
import { execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import tls from 'node:tls';

const LISTENERS = ['smtp', 'submission', 'submissions', 'imap', 'imaps', 'pop3', 'pop3s', 'http'];

function freePort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
    s.on('error', reject);
  });
}

export class Server {
  constructor({ bin, webRoot }) {
    this.bin = bin;
    this.webRoot = webRoot;
    this.dir = fs.mkdtempSync(path.join(os.tmpdir(), 'posthouse-e2e-'));
    this.data = path.join(this.dir, 'data');
    this.proc = null;
  }

  // Runs `posthouse --data DIR args...` (the CLI acts as the platform admin unless --as).
  cli(args, input) {
    return execFileSync(this.bin, ['--data', this.data, ...args], {
      input: input === undefined ? '' : input + '\n',
      encoding: 'utf8',
      env: { ...process.env, ASAN_OPTIONS: process.env.ASAN_OPTIONS || 'detect_leaks=1:halt_on_error=1' },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
  }

  async start() {
    const out = execFileSync(this.bin, ['init', '--data', this.data, '--hostname', 'mail.test'], { encoding: 'utf8' });
    const m = /password: (\S+)/.exec(out);
    if (!m) throw new Error('init printed no admin password:\n' + out);
    this.adminPassword = m[1];
    this.port = await freePort();
    this.submissionsPort = await freePort();
    this.smtpPort = await freePort();
    this.imapsPort = await freePort();
    const cfgPath = path.join(this.data, 'posthouse.toml');
    let cfg = fs.readFileSync(cfgPath, 'utf8');
    const ports = { http: this.port, submissions: this.submissionsPort, smtp: this.smtpPort, imaps: this.imapsPort };
    const listen = LISTENERS.map((n) => `${n} = "${ports[n] ? '127.0.0.1:' + ports[n] : ''}"`).join('\n');
    cfg = cfg.replace(/\[listen\][^[]*/, `[listen]\n${listen}\n\n`);
    if (/^\[http\]/m.test(cfg)) cfg = cfg.replace(/^\[http\]\n/m, `[http]\nweb_root = ${JSON.stringify(this.webRoot)}\n`);
    else cfg += `\n[http]\nweb_root = ${JSON.stringify(this.webRoot)}\n`;
    if (/^\[directory\]/m.test(cfg)) throw new Error('unexpected [directory] section in the default config');
    // Cheaper argon2id for the many logins of the tests; the default cost is unit-tested.
    cfg += '\n[directory]\npassword_hash_ops = 1\npassword_hash_memory_kib = 8192\n[testing]\nallow_weak_password_hash = true\n';
    // Hermetic outbound (as tests/integration/harness.py): the runner asks a resolver that is
    // not there, so mail to other hosts fails temporarily and waits `deferred` for an hour.
    if (/^\[outbound\]/m.test(cfg)) throw new Error('unexpected [outbound] section in the default config');
    cfg += '[outbound]\nresolver = "127.0.0.1:9"\npoll_interval_seconds = 1\nretry_initial_seconds = 3600\nretry_max_seconds = 7200\n';
    fs.writeFileSync(cfgPath, cfg);
    this.logPath = path.join(this.dir, 'server.log');
    const log = fs.openSync(this.logPath, 'a');
    this.proc = spawn(this.bin, ['serve', '--data', this.data], {
      stdio: ['ignore', log, log],
      env: { ...process.env, ASAN_OPTIONS: process.env.ASAN_OPTIONS || 'detect_leaks=1:halt_on_error=1' },
    });
    this.exited = new Promise((r) => this.proc.on('exit', (code, signal) => r({ code, signal })));
    for (let i = 0; i < 600; i++) {
      if (this.proc.exitCode !== null) throw new Error('posthouse exited:\n' + this.log());
      try {
        const r = await fetch(this.url('/healthz'));
        if (r.ok) return this;
      } catch (e) {
        /* not listening yet */
      }
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error('posthouse did not become ready:\n' + this.log());
  }

  // Submits one message over SMTP submission (implicit TLS, AUTH PLAIN) as `login`.
  async submit({ login, password, to, subject }) {
    const sock = tls.connect({ host: '127.0.0.1', port: this.submissionsPort, rejectUnauthorized: false });
    await this.converse(sock, [
      ['EHLO e2e.test', 250],
      ['AUTH PLAIN ' + Buffer.from(`\0${login}\0${password}`).toString('base64'), 235],
      [`MAIL FROM:<${login}>`, 250],
      [`RCPT TO:<${to}>`, 250],
      ['DATA', 354],
      [`From: <${login}>\r\nTo: <${to}>\r\nSubject: ${subject}\r\n\r\nQueued by the browser tests.\r\n.`, 250],
      ['QUIT', 221],
    ]);
  }

  // Sends one message from outside to the MX listener (plain SMTP, no AUTH).
  async mx({ from, to, subject }) {
    const sock = net.connect({ host: '127.0.0.1', port: this.smtpPort });
    await this.converse(sock, [
      ['EHLO sender.e2e.test', 250],
      [`MAIL FROM:<${from}>`, 250],
      [`RCPT TO:<${to}>`, 250],
      ['DATA', 354],
      [`From: <${from}>\r\nTo: <${to}>\r\nSubject: ${subject}\r\nMessage-ID: <${Date.now()}.${Math.random()}@sender.e2e.test>\r\n\r\nSent to the MX by the browser tests.\r\n.`, 250],
      ['QUIT', 221],
    ]);
  }

  // The text of every message in a mailbox's INBOX (IMAP over implicit TLS), as one string.
  async inbox({ login, password }) {
    const sock = tls.connect({ host: '127.0.0.1', port: this.imapsPort, rejectUnauthorized: false });
    sock.setEncoding('utf8');
    let buf = '';
    const waiters = [];
    sock.on('data', (d) => {
      buf += d;
      waiters.splice(0).forEach((w) => w());
    });
    const failed = new Promise((_, reject) => {
      sock.on('error', reject);
      sock.on('close', () => reject(new Error('IMAP closed the connection; got ' + JSON.stringify(buf.slice(-500)))));
    });
    failed.catch(() => {});
    const until = async (re) => {
      while (!re.test(buf)) await Promise.race([new Promise((r) => waiters.push(r)), failed]);
    };
    try {
      await until(/^\* OK/m);
      const q = (s) => '"' + s.replace(/["\\]/g, (c) => '\\' + c) + '"';
      sock.write(`a1 LOGIN ${q(login)} ${q(password)}\r\n`);
      await until(/^a1 (OK|NO|BAD)/m);
      if (!/^a1 OK/m.test(buf)) throw new Error('IMAP login failed: ' + buf);
      sock.write('a2 EXAMINE INBOX\r\n');
      await until(/^a2 (OK|NO|BAD)/m);
      const start = buf.length;
      sock.write('a3 FETCH 1:* (BODY.PEEK[])\r\n');
      await until(/^a3 (OK|NO|BAD)/m);
      const out = buf.slice(start);
      sock.write('a4 LOGOUT\r\n');
      return out;
    } finally {
      sock.destroy();
    }
  }

  // Runs an SMTP conversation: each [line, code] is sent and its reply checked.
  async converse(sock, steps) {
    sock.setEncoding('utf8');
    let buf = '';
    const waiters = [];
    const wake = () => waiters.splice(0).forEach((w) => w());
    sock.on('data', (d) => {
      buf += d;
      wake();
    });
    const failed = new Promise((_, reject) => {
      sock.on('error', reject);
      sock.on('close', () => reject(new Error('SMTP closed the connection; got ' + JSON.stringify(buf))));
    });
    failed.catch(() => {});
    // One reply (the last line of a multi-line one is "NNN "), checked against `code`.
    const reply = async (code) => {
      for (;;) {
        const m = /^(?:\d{3}-[^\n]*\n)*(\d{3}) [^\n]*\n/.exec(buf);
        if (m) {
          buf = buf.slice(m[0].length);
          if (m[1] !== String(code)) throw new Error(`SMTP: expected ${code}, got ${m[0].trim()}`);
          return;
        }
        await Promise.race([new Promise((r) => waiters.push(r)), failed]);
      }
    };
    const say = async (line, code) => {
      sock.write(line + '\r\n');
      await reply(code);
    };
    try {
      await reply(220);
      for (const [line, code] of steps) await say(line, code);
    } finally {
      sock.destroy();
    }
  }

  url(p = '/') {
    return `http://127.0.0.1:${this.port}${p}`;
  }

  log() {
    try {
      return fs.readFileSync(this.logPath, 'utf8');
    } catch (e) {
      return '';
    }
  }

  // Stops the server and returns what went wrong with it ('' when nothing): an exit other
  // than 0 after SIGTERM, or a sanitizer report in its log.
  async stop() {
    if (!this.proc) return '';
    if (this.proc.exitCode === null) this.proc.kill('SIGTERM');
    const t = setTimeout(() => this.proc.kill('SIGKILL'), 30000);
    const { code, signal } = await this.exited;
    clearTimeout(t);
    const problems = [];
    if (code !== 0) problems.push(`posthouse exited ${code === null ? 'by ' + signal : code} after SIGTERM`);
    const reports = this.log()
      .split('\n')
      .filter((l) => /runtime error:|AddressSanitizer|LeakSanitizer|UndefinedBehaviorSanitizer/.test(l));
    if (reports.length) problems.push('sanitizer report in the server log:\n' + reports.join('\n'));
    if (problems.length) problems.push(this.log().slice(-4000));
    this.proc = null;
    fs.rmSync(this.dir, { recursive: true, force: true });
    return problems.join('\n');
  }
}
