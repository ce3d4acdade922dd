"""IMAP sessions: two sessions on one mailbox (EXISTS, FETCH and EXPUNGE updates), CONDSTORE and
QRESYNC resynchronisation, \\Recent given to exactly one session, IDLE woken by SMTP delivery
and the limit on IDLE sessions, APPEND over quota."""
import re
import unittest

from imap_base import ImapBase, message

class ImapConcurrency(ImapBase):
    """Two sessions on one mailbox; CONDSTORE/QRESYNC resync; IDLE woken by SMTP."""

    def test_second_session_sees_exists_flags_and_expunge(self):
        a, b = self.imap(), self.imap()
        a.create("Shared")
        a.append("Shared", None, None, message("one").encode())
        a.append("Shared", None, None, message("two").encode())
        a.select("Shared")
        b.select("Shared")
        b.store("1", "+FLAGS", "\\Flagged")
        b.append("Shared", None, None, message("three").encode())
        typ, _ = a.noop()
        self.assertEqual(a.response("EXISTS")[1][-1], b"3")
        fetches = a.response("FETCH")[1]
        self.assertTrue(any(b"\\Flagged" in f for f in fetches), fetches)
        b.store("2", "+FLAGS", "\\Deleted")
        b.expunge()
        # No EXPUNGE during FETCH (RFC 3501 7.4.1): sequence numbers stay as the client knows.
        typ, data = a.fetch("3", "(UID)")
        self.assertEqual(typ, "OK")
        self.assertIsNone(a.response("EXPUNGE")[1][0])
        typ, _ = a.noop()
        self.assertEqual(a.response("EXPUNGE")[1], [b"2"])
        self.assertEqual(a.fetch("2", "(BODY.PEEK[HEADER.FIELDS (SUBJECT)])")[1][0][1],
                         b"Subject: three\r\n\r\n")

    def test_condstore_unchangedsince_and_changedsince(self):
        m = self.imap()
        m.create("CS")
        m.append("CS", None, None, message("c1").encode())
        m.append("CS", None, None, message("c2").encode())
        typ, data = m._simple_command("SELECT", "CS (CONDSTORE)")
        m.state = "SELECTED"
        hms = int(m.response("HIGHESTMODSEQ")[1][0])
        typ, data = m.fetch("1", "(MODSEQ)")
        ms1 = int(re.search(rb"MODSEQ \((\d+)\)", data[0]).group(1))
        typ, data = m.store("1", "+FLAGS", "(\\Seen)")
        self.assertIn(b"MODSEQ", data[0])
        typ, data = m._simple_command("STORE", "1", f"(UNCHANGEDSINCE {ms1})", "+FLAGS", "(\\Flagged)")
        self.assertEqual(typ, "OK")
        self.assertIn(b"MODIFIED 1", data[0])
        typ, data = m.fetch("1:*", f"(FLAGS) (CHANGEDSINCE {hms})")
        self.assertEqual(len(data), 1)
        self.assertIn(b"MODSEQ", data[0])
        typ, data = m.search(None, "MODSEQ", str(hms + 1))
        self.assertTrue(data[0].startswith(b"1"), data)

    def test_qresync_resync_after_changes_from_second_session(self):
        a, b = self.imap(), self.imap()
        a.create("QR")
        for i in range(4):
            a.append("QR", None, None, message(f"q{i}").encode())
        a._simple_command("ENABLE", "QRESYNC")
        a.select("QR")
        uidvalidity = int(a.response("UIDVALIDITY")[1][0])
        modseq = int(a.response("HIGHESTMODSEQ")[1][0])
        typ, data = a.fetch("1:*", "(UID)")
        uids = [int(re.search(rb"UID (\d+)", d).group(1)) for d in data]
        a._simple_command("UNSELECT")
        b.select("QR")
        b.store("1", "+FLAGS", "\\Answered")
        b.store("2", "+FLAGS", "\\Deleted")
        b.expunge()
        typ, data = a._simple_command(
            "SELECT", f"QR (QRESYNC ({uidvalidity} {modseq} {uids[0]}:{uids[-1]}))")
        self.assertEqual(typ, "OK")
        vanished = a._untagged_response(typ, data, "VANISHED")[1]
        self.assertEqual(vanished, [f"(EARLIER) {uids[1]}".encode()])
        fetches = a._untagged_response(typ, data, "FETCH")[1]
        self.assertTrue(any(b"\\Answered" in f and f"UID {uids[0]}".encode() in f
                            for f in fetches), fetches)
        # VANISHED on UID FETCH CHANGEDSINCE
        typ, data = a._simple_command("UID", "FETCH", "1:*", "(FLAGS)",
                                      f"(CHANGEDSINCE {modseq} VANISHED)")
        self.assertEqual(typ, "OK")
        self.assertEqual(a._untagged_response(typ, data, "VANISHED")[1],
                         [f"(EARLIER) {uids[1]}".encode()])

    def test_idle_wakes_on_smtp_delivery(self):
        r = self.raw()
        r.cmd("s", "SELECT INBOX")
        r.send("i IDLE\r\n")
        self.assertTrue(r.line().startswith("+"))
        self.deliver(message("wake up"))
        line = r.line()
        self.assertRegex(line, r"^\* \d+ EXISTS$")
        r.send("DONE\r\n")
        out = r.until_tagged("i")
        self.assertTrue(out[-1].startswith("i OK"), out)

    def test_append_over_quota(self):
        self.server.cli("mailbox", "create", "tiny@example.test", "--template", self.fx.template,
                        "--password", "tiny-password-1", "--quota", "2K")
        m = self.imap("tiny@example.test", "tiny-password-1")
        typ, data = m._simple_command("GETQUOTAROOT", "INBOX")
        quota = m._untagged_response(typ, data, "QUOTA")[1][0]
        self.assertIn(b"STORAGE 0 2", quota)
        typ, data = m.append("INBOX", None, None, message("big", body="x" * 4000 + "\r\n").encode())
        self.assertEqual(typ, "NO")
        self.assertIn(b"OVERQUOTA", data[0])
        self.assertEqual(m.status("INBOX", "(MESSAGES)")[1][0], b"INBOX (MESSAGES 0)")


class ImapRecent(ImapBase):
    """\\Recent (IMAP4rev1): exactly one session is told a message is new."""

    def test_recent_goes_to_one_session_and_examine_keeps_it(self):
        a, b, c = self.imap(), self.imap(), self.imap()
        c.create("Rec")
        c.append("Rec", None, None, message("r1").encode())
        c.append("Rec", None, None, message("r2").encode())
        typ, data = c.status("Rec", "(MESSAGES RECENT)")
        self.assertIn(b"RECENT 2", data[0])
        # EXAMINE shows them as recent without taking them.
        typ, _ = b.select("Rec", readonly=True)
        self.assertEqual(b.response("RECENT")[1][-1], b"2")
        b.close()
        # The first SELECT takes them: \Recent in FLAGS, the RECENT/NEW/OLD search keys.
        a.select("Rec")
        self.assertEqual(a.response("RECENT")[1][-1], b"2")
        typ, data = a.fetch("1:*", "(FLAGS)")
        self.assertTrue(all(b"\\Recent" in d for d in data), data)
        self.assertEqual(a.search(None, "RECENT")[1], [b"1 2"])
        a.store("1", "+FLAGS", "(\\Seen)")
        self.assertEqual(a.search(None, "NEW")[1], [b"2"])
        self.assertEqual(a.search(None, "OLD")[1], [b""])
        # STORE cannot set or clear \Recent; it is still reported.
        typ, data = a.fetch("1", "(FLAGS)")
        self.assertIn(b"\\Recent", data[0])
        self.assertIn(b"\\Seen", data[0])
        # A second SELECT: nothing is recent any more.
        b.select("Rec")
        self.assertEqual(b.response("RECENT")[1][-1], b"0")
        typ, data = b.fetch("1:*", "(FLAGS)")
        self.assertFalse(any(b"\\Recent" in d for d in data), data)
        self.assertEqual(b.search(None, "OLD")[1], [b"1 2"])
        typ, data = c.status("Rec", "(RECENT)")
        self.assertIn(b"RECENT 0", data[0])
        # New mail goes to the first session that learns of it.
        c.append("Rec", None, None, message("r3").encode())
        a.noop()
        self.assertEqual(a.response("EXISTS")[1][-1], b"3")
        self.assertEqual(a.response("RECENT")[1][-1], b"3")
        b.noop()
        self.assertEqual(b.response("EXISTS")[1][-1], b"3")
        self.assertEqual(b.response("RECENT")[1][-1], b"0")
        self.assertEqual(a.search(None, "RECENT")[1], [b"1 2 3"])
        self.assertEqual(b.search(None, "RECENT")[1], [b""])

    def test_no_recent_in_imap4rev2(self):
        m = self.imap()
        m.create("Rec2")
        m.append("Rec2", None, None, message("v2").encode())
        typ, _ = m._simple_command("ENABLE", "IMAP4rev2")
        self.assertEqual(typ, "OK")
        m.select("Rec2")
        self.assertIsNone(m.response("RECENT")[1][0])
        typ, data = m.fetch("1", "(FLAGS)")
        self.assertNotIn(b"\\Recent", data[0])

    def test_within_younger_and_older_on_the_test_clock(self):
        # RFC 5032 (advertised as WITHIN): YOUNGER/OLDER n compare INTERNALDATE with now - n.
        m = self.imap()
        m.create("Within")
        m.append("Within", None, None, message("old one").encode())
        self.server.advance_clock(1000)
        m.append("Within", None, None, message("new one").encode())
        m.select("Within")
        self.assertEqual(m.search(None, "YOUNGER", "500")[1], [b"2"])
        self.assertEqual(m.search(None, "OLDER", "500")[1], [b"1"])
        self.assertEqual(m.search(None, "YOUNGER", "5000")[1], [b"1 2"])
        self.assertEqual(m.search(None, "OLDER", "5000")[1], [b""])

    def test_search_answers_esearch_in_imap4rev2(self):
        # RFC 9051 6.4.4: once IMAP4rev2 is enabled, SEARCH without RETURN answers ESEARCH as
        # for RETURN (ALL), never "* SEARCH"; before it, a IMAP4rev1 session gets "* SEARCH".
        m = self.imap()
        m.create("Es2")
        for i in range(3):
            m.append("Es2", None, None, message(f"es {i}").encode())
        rev1 = self.raw()
        rev1.cmd("s", "SELECT Es2")
        self.assertEqual(rev1.cmd("a", "SEARCH ALL")[0], "* SEARCH 1 2 3")
        r = self.raw()
        self.assertTrue(r.cmd("e", "ENABLE IMAP4rev2")[-1].startswith("e OK"))
        r.cmd("s", "SELECT Es2")
        out = r.cmd("b", "SEARCH ALL")
        self.assertEqual(out[0], '* ESEARCH (TAG "b") ALL 1:3')
        self.assertFalse(any(l.startswith("* SEARCH") for l in out), out)
        out = r.cmd("c", "UID SEARCH 2:3")
        self.assertRegex(out[0], r'^\* ESEARCH \(TAG "c"\) UID ALL \d+:\d+$')
        self.assertEqual(r.cmd("d", "SEARCH SUBJECT nothing-matches")[0], '* ESEARCH (TAG "d")')


class ImapIdleLimit(ImapBase):
    extra_config = "[imap]\nmax_idle_connections = 2\n"

    def test_excess_idle_refused_others_served(self):
        clients = [self.raw() for _ in range(3)]
        for c in clients:
            c.cmd("s", "SELECT INBOX")
        for c in clients[:2]:
            c.send("i IDLE\r\n")
            self.assertTrue(c.line().startswith("+"))
        out = clients[2].cmd("i", "IDLE")
        self.assertTrue(out[-1].startswith("i NO [LIMIT]"), out)
        self.assertTrue(clients[2].cmd("n", "NOOP")[-1].startswith("n OK"))
        self.deliver(message("for idlers"))
        for c in clients[:2]:
            self.assertRegex(c.line(), r"EXISTS")
            c.send("DONE\r\n")
            self.assertTrue(c.until_tagged("i")[-1].startswith("i OK"))
        # Slots are free again.
        clients[2].send("j IDLE\r\n")
        self.assertTrue(clients[2].line().startswith("+"))
        clients[2].send("DONE\r\n")
        self.assertTrue(clients[2].until_tagged("j")[-1].startswith("j OK"))


if __name__ == "__main__":
    unittest.main()
