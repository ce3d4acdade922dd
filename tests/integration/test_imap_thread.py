"""THREAD and SORT (RFC 5256) against the reference implementation in rfc5256.py: random
mailboxes with every case the RFC names (missing and duplicate Message-IDs, quoted msg-ids,
References with missing parents, loops, truncated References, In-Reply-To only, replies and
forwards by subject, blobs, "(fwd)" trailers, equal dates, unparseable dates, case-only
differences of subjects and senders) are appended with imaplib, and every THREAD and SORT
answer must equal the reference's, for sequence numbers and UIDs, on all or part of the box."""
import email.utils
import imaplib
import random
import re

import rfc5256
from imap_base import ImapBase

SUBJECTS = ["Topic", "topic", "Re: Topic", "RE: [list] topic", "[list] Re: Topic", "Fwd: Topic",
            "Topic (fwd)", "[Fwd: Topic]", "fw[1]: topic", "Other", "re: other", "Caf\u00e9",
            "Re: CAF\u00c9", "", "[x]", "Re:", "   spaced \t out  ", "Fw: spaced out",
            "[a[b] weird", "[a[b] Weird", "re re: x", "Re: re: X", "[fwd: [fwd: Topic]]"]
SENDERS = ["alice", "Bob", "_under", "zed", "a_b", "aa", "AB", "ab", None]
DATES = [1_790_000_000, 1_790_000_000, 1_790_003_600, 1_790_086_400, 1_789_900_000]
SORTS = ["(SUBJECT)", "(REVERSE SUBJECT)", "(DATE)", "(REVERSE DATE)", "(ARRIVAL)",
         "(FROM SUBJECT)", "(SIZE REVERSE SUBJECT)", "(REVERSE FROM DATE)"]


def make_box(seed, n=60):
    rnd = random.Random(seed)
    msgs = []
    ids = [f"<m{i}@t.test>" for i in range(n)]
    for i in range(n):
        r = rnd.random()
        if r < 0.1:
            mid = None
        elif r < 0.2 and i:
            mid = ids[rnd.randrange(i)]                         # duplicate of an earlier one
        elif r < 0.25:
            mid = f'<"m{i}"@t.test>'                           # quoted form of its own id
        else:
            mid = ids[i]

        def ref():
            k = rnd.random()
            if k < 0.15:
                return f"<gone{rnd.randrange(5)}@t.test>"      # never in the box
            j = rnd.randrange(n)                               # earlier, later or itself
            return f'<"m{j}"@t.test>' if k < 0.2 else ids[j]
        r = rnd.random()
        refs, irt = [], None
        if r < 0.5:
            refs = [ref() for _ in range(rnd.randrange(1, 5))]
            if rnd.random() < 0.3:
                irt = ref()
        elif r < 0.7:
            irt = ref()
        frm = rnd.choice(SENDERS)
        subject = rnd.choice(SUBJECTS)
        arrival = rnd.choice(DATES) + rnd.choice([0, 0, 60])
        d = rnd.random()
        head = []
        if frm:
            head.append(f"From: {frm} <{frm}@remote.test>")
        head.append("To: bob@example.test")
        head.append(f"Subject: {subject}")
        if mid:
            head.append(f"Message-ID: {mid}")
        if refs:
            head.append("References: " + " ".join(refs))
        if irt:
            head.append(f"In-Reply-To: {irt}")
        if d < 0.6:
            date = rnd.choice(DATES) + rnd.choice([0, 0, 1])
            head.append("Date: " + email.utils.formatdate(date, localtime=False))
        elif d < 0.7:
            date = arrival
            head.append("Date: not a date at all")
        else:
            date = arrival
        raw = ("\r\n".join(head) + "\r\n\r\n" + "x" * rnd.randrange(200) + "\r\n").encode()
        msgs.append({"seq": i + 1, "subject": re.sub(r"\t", " ", subject), "date": date,
                     "arrival": arrival, "size": len(raw), "frm": frm, "to": "bob", "cc": None,
                     "message_id": mid, "references": refs, "in_reply_to": irt, "raw": raw})
    return msgs


class ThreadAndSort(ImapBase):
    def load(self, m, name, msgs):
        m.create(name)
        for x in msgs:
            typ, _ = m.append(name, None, imaplib.Time2Internaldate(x["arrival"]), x["raw"])
            self.assertEqual(typ, "OK")
        m.select(name)
        typ, data = m.fetch("1:*", "(UID)")
        uids = [int(re.search(rb"UID (\d+)", d).group(1)) for d in data]
        for x, uid in zip(msgs, uids):
            x["uid"] = uid

    def answer(self, m, *args, name):
        typ, data = m._simple_command(*args)
        self.assertEqual(typ, "OK", data)
        line = m._untagged_response(typ, data, name)[1][0]
        return (line or b"").decode()

    def test_thread_and_sort_match_the_reference_on_random_mailboxes(self):
        m = self.imap()
        for seed in range(6):
            msgs = make_box(seed)
            self.load(m, f"Random{seed}", msgs)
            ctx = f"seed {seed}"
            seq, uid = (lambda x: x["seq"]), (lambda x: x["uid"])
            refs = rfc5256.thread_references(msgs)
            self.assertEqual(self.answer(m, "THREAD", "REFERENCES UTF-8 ALL", name="THREAD"),
                             rfc5256.format_threads(refs, seq), ctx)
            self.assertEqual(self.answer(m, "UID", "THREAD", "REFERENCES UTF-8 ALL",
                                         name="THREAD"),
                             rfc5256.format_threads(refs, uid), ctx)
            self.assertEqual(self.answer(m, "THREAD", "ORDEREDSUBJECT UTF-8 ALL", name="THREAD"),
                             rfc5256.format_threads(rfc5256.thread_ordered_subject(msgs), seq),
                             ctx)
            # Only the messages the search matches take part.
            part = [x for x in msgs if "topic" in x["subject"].lower()]
            self.assertEqual(self.answer(m, "THREAD", "REFERENCES UTF-8 SUBJECT topic",
                                         name="THREAD"),
                             rfc5256.format_threads(rfc5256.thread_references(part), seq), ctx)
            for crit in SORTS:
                parsed = [(w, False) for w in crit.strip("()").split()]
                criteria, rev = [], False
                for w, _ in parsed:
                    if w == "REVERSE":
                        rev = True
                        continue
                    criteria.append((w, rev))
                    rev = False
                want = " ".join(str(x["seq"]) for x in rfc5256.sort(msgs, criteria))
                self.assertEqual(self.answer(m, "SORT", f"{crit} UTF-8 ALL", name="SORT"),
                                 want, f"{ctx} SORT {crit}")

    def test_thread_examples_of_rfc_5256(self):
        """The shapes the RFC's text names, with the exact reply."""
        m = self.imap()
        box = [("<a@x>", "", "", "Mon, 2 Nov 2026 10:00:00 +0000", "Topic"),
               ("<b@x>", "<a@x>", "", "Mon, 2 Nov 2026 11:00:00 +0000", "Re: Topic"),
               ("<c@x>", "<a@x> <b@x>", "", "Mon, 2 Nov 2026 12:00:00 +0000", "Re: Topic"),
               ("<d@x>", "<a@x> <b@x>", "", "Mon, 2 Nov 2026 13:00:00 +0000", "Re: Topic"),
               ("<e@x>", "<gone@x>", "", "Mon, 2 Nov 2026 09:00:00 +0000", "lost"),
               ("<f@x>", "<gone@x>", "", "Mon, 2 Nov 2026 09:30:00 +0000", "lost too"),
               ("<g@x>", "", "", "Mon, 2 Nov 2026 14:00:00 +0000", "Re: Topic"),
               ("<h@x>", "", "", "Mon, 2 Nov 2026 15:00:00 +0000", "solo"),
               ("<i@x>", "", "", "Mon, 2 Nov 2026 16:00:00 +0000", "solo")]
        m.create("Rfc")
        for mid, refs, irt, date, subj in box:
            raw = f"Message-ID: {mid}\r\nSubject: {subj}\r\nDate: {date}\r\n"
            raw += f"References: {refs}\r\n" if refs else ""
            raw += f"In-Reply-To: {irt}\r\n" if irt else ""
            m.append("Rfc", None, None, (raw + "\r\nbody\r\n").encode())
        m.select("Rfc")
        # A dummy parent holds 5 and 6; 7 is a reply by subject only, gathered under 1;
        # 8 and 9 share a subject and neither is a reply: a dummy holds both.
        self.assertEqual(self.answer(m, "THREAD", "REFERENCES UTF-8 ALL", name="THREAD"),
                         "((5)(6))(1 (2 (3)(4))(7))((8)(9))")
        self.assertEqual(self.answer(m, "THREAD", "ORDEREDSUBJECT UTF-8 ALL", name="THREAD"),
                         "(5)(6)(1 (2)(3)(4)(7))(8 9)")
        self.assertEqual(self.answer(m, "THREAD", "REFERENCES UTF-8 SUBJECT nothing-matches",
                                     name="THREAD"), "")
