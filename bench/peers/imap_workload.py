"""The IMAP workload of bench/peers, with Python's imaplib over one
connection: APPEND N small messages into a fresh mailbox, SELECT it, FETCH
flags and sizes, FETCH every body, then four SEARCHes. Each phase is timed
by the client's wall clock.

Usage: imap_workload.py HOST PORT USER PASS MAILBOX N NODELAY PHASES
  NODELAY  1 sets TCP_NODELAY on the client's socket, 0 leaves Nagle on
  PHASES   "all", or "append" for the APPEND phase alone
Prints one line: phase=seconds ... (and messages=N).
"""
import imaplib
import socket
import sys
import time

host, port, user, password, mailbox = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4], sys.argv[5]
n, nodelay, phases = int(sys.argv[6]), sys.argv[7] == "1", sys.argv[8]
body = "The quick brown fox jumps over the lazy dog, again and again.\r\n" * 4

m = imaplib.IMAP4(host, port, timeout=600)
if nodelay:
    m.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
else:
    m.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 0)
m.login(user, password)
typ, data = m.create(mailbox)
assert typ == "OK", (typ, data)
out = {}


def timed(name, f):
    start = time.perf_counter()
    r = f()
    out[name] = time.perf_counter() - start
    return r


def append_all():
    for i in range(1, n + 1):
        msg = ("From: Sender <sender@example.org>\r\nTo: %s@example.com\r\n"
               "Subject: import %d\r\nMessage-ID: <%d@example.org>\r\n\r\n"
               "token-%d\r\n%s" % (user, i, i, i, body))
        typ, data = m.append(mailbox, None, None, msg.encode())
        assert typ == "OK", (typ, data)


timed("append", append_all)
if phases == "all":
    typ, data = timed("select", lambda: m.select(mailbox))
    assert typ == "OK" and int(data[0]) == n, (typ, data)
    typ, data = timed("fetch_flags", lambda: m.fetch("1:*", "(FLAGS RFC822.SIZE)"))
    assert typ == "OK" and len(data) == n, (typ, len(data))
    typ, data = timed("fetch_body", lambda: m.fetch("1:*", "(BODY.PEEK[])"))
    # Each message comes as a (prefix, literal) tuple and a closing b")".
    bodies = [d for d in data if isinstance(d, tuple)]
    assert typ == "OK" and len(bodies) == n, (typ, len(bodies))
    searches = [
        ("search_all", ("ALL",), n),
        ("search_subject", ("SUBJECT", '"import %d"' % (n // 2)), 1),
        ("search_body", ("BODY", '"token-%d"' % (n // 3)), 1),
        ("search_unseen", ("UNSEEN",), n),
    ]
    for name, criteria, want in searches:
        typ, data = timed(name, lambda: m.search(None, *criteria))
        hits = len(data[0].split())
        assert typ == "OK" and hits == want, (name, typ, hits, want)
m.logout()
print(" ".join(["messages=%d" % n] + ["%s=%.4f" % kv for kv in out.items()]))
