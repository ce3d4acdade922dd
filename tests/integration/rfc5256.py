"""A reference implementation of RFC 5256 (SORT and THREAD), written from the RFC's steps for
the differential tests of test_imap_thread.py. It is deliberately plain (objects, recursion,
linear searches): small mailboxes only. Messages are dicts with keys seq, uid, subject
(decoded), date (sent date: Date header or internal date), arrival, size, frm/to/cc (first
address's mailbox), message_id, references (list), in_reply_to (first msg-id or None)."""
import re
import unicodedata

# ---- 2.1 base subject -------------------------------------------------------------------------


def casemap(s):
    """i;unicode-casemap (RFC 5051): titlecase each character, then NFKD."""
    out = []
    for ch in s:
        t = ch.title()
        out.append(t if len(t) == 1 else ch)
    return unicodedata.normalize("NFKD", "".join(out))


BLOB = r"\[[^\[\]]*\] *"
LEADER = re.compile(r"(?:%s)*(?:re|fwd?) *(?:%s)?:" % (BLOB, BLOB), re.I)


def base_subject(subject):
    """Returns (base subject, was it a reply or forward)."""
    s = re.sub(r"[ \t\r\n]+", " ", subject)                      # (1)
    refwd = False
    while True:
        while True:                                               # (2) subj-trailer
            if s.endswith(" "):
                s = s[:-1]
            elif s.lower().endswith("(fwd)"):
                s, refwd = s[:-5], True
            else:
                break
        while True:                                               # (3)-(5)
            if s.startswith(" "):
                s = s[1:]
                continue
            m = LEADER.match(s)
            if m:
                s, refwd = s[m.end():], True
                continue
            m = re.match(BLOB, s)
            if m and m.end() < len(s):
                s = s[m.end():]
                continue
            break
        if s.lower().startswith("[fwd:") and s.endswith("]") and len(s) >= 6:   # (6)
            s, refwd = s[5:-1], True
            continue
        return s, refwd


# ---- 3 SORT -----------------------------------------------------------------------------------

def sort(msgs, criteria):
    """criteria: list of (name, reverse) with name in ARRIVAL CC DATE FROM SIZE SUBJECT TO."""
    def value(m, name):
        if name == "SUBJECT":
            return casemap(base_subject(m["subject"])[0])
        if name in ("FROM", "TO", "CC"):
            return casemap(m[name.lower() if name != "FROM" else "frm"] or "")
        return {"ARRIVAL": m["arrival"], "DATE": m["date"], "SIZE": m["size"]}[name]

    out = sorted(msgs, key=lambda m: m["seq"])
    # Stable sorts from the last criterion to the first give the lexicographic order.
    for name, reverse in reversed(criteria):
        out.sort(key=lambda m: value(m, name), reverse=reverse)
    return out


# ---- THREAD -----------------------------------------------------------------------------------

class Container:
    def __init__(self, msg=None):
        self.msg, self.parent, self.children = msg, None, []

    def date_key(self):
        first = self if self.msg else self.children[0]
        return (first.msg["date"], first.msg["seq"])


def _unlink(c):
    if c.parent:
        c.parent.children.remove(c)
        c.parent = None


def _link(parent, child):
    _unlink(child)
    child.parent = parent
    parent.children.append(child)


def _is_ancestor(a, c):
    while c is not None:
        if c is a:
            return True
        c = c.parent
    return False


def _norm(msg_id):
    return re.sub(r'\\(.)|"', lambda m: m.group(1) or "", msg_id or "")


def thread_references(msgs):
    msgs = sorted(msgs, key=lambda m: m["seq"])
    table, conts = {}, []
    for m in msgs:
        c = Container(m)
        conts.append(c)
        mid = _norm(m["message_id"])
        if mid and mid not in table:        # a duplicate Message-ID counts as none
            table[mid] = c

    def find(mid):
        mid = _norm(mid)
        if not mid:
            return None
        if mid not in table:
            table[mid] = Container()
        return table[mid]

    # (1)
    for c in conts:
        m = c.msg
        refs = [x for x in (find(r) for r in m["references"]) if x]
        if not refs and m["in_reply_to"]:
            refs = [find(m["in_reply_to"])]
        for a, b in zip(refs, refs[1:]):                     # (A)
            if b.parent is None and not _is_ancestor(b, a):
                _link(a, b)
        if not refs:                                         # (B)
            _unlink(c)
        elif not _is_ancestor(c, refs[-1]):
            _link(refs[-1], c)
    # (2) root set
    everything = list({id(x): x for x in conts + list(table.values())}.values())
    root = Container()
    for c in everything:
        if c.parent is None:
            root.children.append(c)
            c.parent = root

    # (4) prune dummies
    def prune(parent):
        i = 0
        while i < len(parent.children):
            c = parent.children[i]
            prune(c)
            if c.msg is None:
                if not c.children:
                    parent.children.pop(i)
                    continue
                if parent is not root or len(c.children) == 1:
                    kids = c.children
                    parent.children[i:i + 1] = kids
                    for k in kids:
                        k.parent = parent
                    continue   # look at the promoted children in place
            i += 1
    prune(root)
    for c in root.children:
        if c.msg is None:
            c.children.sort(key=Container.date_key)
    root.children.sort(key=Container.date_key)

    # (5) subjects
    def thread_subject(c):
        first = c if c.msg else c.children[0]
        base, refwd = base_subject(first.msg["subject"])
        return casemap(base), refwd

    subj = {}
    for c in root.children:
        key, refwd = thread_subject(c)
        if not key:
            continue
        old = subj.get(key)
        if old is None or (c.msg is None and old.msg is not None) or \
                (old.msg is not None and thread_subject(old)[1] and c.msg is not None and not refwd):
            subj[key] = c
    for c in list(root.children):
        if c.parent is not root:      # became a child of a new dummy above
            continue
        key, refwd = thread_subject(c)
        if not key or subj[key] is c:
            continue
        t = subj[key]
        _unlink(c)
        if t.msg is None and c.msg is None:
            for k in list(c.children):
                _link(t, k)
        elif t.msg is None:
            _link(t, c)
        elif refwd and not thread_subject(t)[1]:
            _link(t, c)
        else:
            d = Container()
            root.children[root.children.index(t)] = d
            d.parent = root
            t.parent = None
            _link(d, t)
            _link(d, c)
            subj[key] = d

    # (6) sort siblings, deepest first
    def sort_all(c):
        for k in c.children:
            sort_all(k)
        c.children.sort(key=Container.date_key)
    sort_all(root)
    return root.children


def thread_ordered_subject(msgs):
    def key(m):
        return casemap(base_subject(m["subject"])[0])
    ordered = sorted(msgs, key=lambda m: (key(m), m["date"], m["seq"]))
    threads = []
    for m in ordered:
        if threads and key(threads[-1].msg) == key(m):
            c = Container(m)
            c.parent = threads[-1]
            threads[-1].children.append(c)
        else:
            threads.append(Container(m))
    threads.sort(key=Container.date_key)
    return threads


def format_threads(threads, number):
    """The thread-list text of RFC 5256 section 5; number(msg) is the seq or the UID."""
    def members(c):
        out = str(number(c.msg)) if c.msg else ""
        if len(c.children) == 1:
            return out + (" " if c.msg else "") + members(c.children[0])
        if c.children:
            return out + (" " if c.msg else "") + "".join("(%s)" % members(k) for k in c.children)
        return out
    return "".join("(%s)" % members(t) for t in threads)
