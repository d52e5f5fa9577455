"""Drives `wirelab serve` with Python's poplib, the way a mail client would.

Usage: poplib_session.py HOST PORT EXPECTED_DIR

EXPECTED_DIR holds alice's messages as the world has them, with CRLF line
endings, named 1.eml, 2.eml, ... in maildrop order. Exits non-zero with a
message on the first mismatch.
"""
import os
import poplib
import ssl
import sys

host, port, expected_dir = sys.argv[1], int(sys.argv[2]), sys.argv[3]
names = sorted(os.listdir(expected_dir), key=lambda n: int(n.split(".")[0]))
expected = [open(os.path.join(expected_dir, n), "rb").read() for n in names]


def check(cond, what):
    if not cond:
        print("FAIL:", what)
        sys.exit(1)
    print("ok:", what)


p = poplib.POP3(host, port, timeout=10)
caps = p.capa()
for cap in ("TOP", "UIDL", "USER", "PIPELINING", "RESP-CODES", "STLS"):
    check(cap in caps, "CAPA lists " + cap)
check(caps.get("SASL") == ["PLAIN"], "CAPA lists SASL PLAIN")
p.stls(context=ssl._create_unverified_context())
check("STLS" not in p.capa(), "STLS is gone from CAPA once TLS is up")
p.user("alice")
p.pass_("wonderland")
count, octets = p.stat()
check(count == len(expected), "STAT counts %d messages" % count)
check(octets == sum(len(m) for m in expected), "STAT octets %d" % octets)
resp, listing, _ = p.list()
sizes = [int(line.split()[1]) for line in listing]
check(sizes == [len(m) for m in expected], "LIST sizes match the world's CRLF sizes")
resp, uidls, _ = p.uidl()
ids = [line.split()[1] for line in uidls]
check(len(set(ids)) == len(ids) == count, "UIDL gives distinct ids")
resp, top, _ = p.top(1, 0)
header = expected[0].split(b"\r\n\r\n", 1)[0].split(b"\r\n")
check(top == header + [b""], "TOP 1 0 is the header and the blank line")
for i, want in enumerate(expected, 1):
    resp, lines, size = p.retr(i)
    got = b"\r\n".join(lines) + b"\r\n"
    check(got == want, "RETR %d equals the world's message byte for byte (%d octets)" % (i, len(want)))
    check(resp.startswith(b"+OK %d octets" % len(want)), "RETR %d announces %d octets" % (i, len(want)))

# A second session while the first holds the maildrop lock.
q = poplib.POP3(host, port, timeout=10)
q.user("alice")
try:
    q.pass_("wonderland")
    check(False, "second session is refused while the maildrop is locked")
except poplib.error_proto as e:
    check(b"[IN-USE]" in e.args[0], "second session gets -ERR [IN-USE]: %r" % e.args[0])
q.quit()

p.dele(1)
check(p.stat()[0] == count - 1, "DELE hides the message from STAT")
p.rset()
check(p.stat()[0] == count, "RSET restores it")
p.dele(1)
p.quit()

p = poplib.POP3(host, port, timeout=10)
try:
    p.user("alice")
    p.pass_("not-the-password")
    check(False, "a wrong password is refused")
except poplib.error_proto as e:
    check(e.args[0].startswith(b"-ERR [AUTH]"), "a wrong password gets -ERR [AUTH]")
p.apop("alice", "wonderland")
check(p.stat()[0] == count - 1, "after QUIT and a new login (APOP) the count dropped to %d" % (count - 1))
resp, uidls2, _ = p.uidl()
check([l.split()[1] for l in uidls2] == ids[1:], "the remaining messages keep their UIDL ids")
p.quit()
print("poplib: all checks passed")
