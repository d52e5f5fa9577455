"""Drives `wirelab serve` with Python's imaplib, the way a mail client would.

Usage: imaplib_session.py HOST PORT EXPECTED_DIR

EXPECTED_DIR holds alice's INBOX messages as the world has them, with CRLF
line endings, named 1.eml, 2.eml, ... in mailbox order. Exits non-zero with
a message at the first mismatch.
"""
import email
import imaplib
import os
import re
import socket
import ssl
import sys
import time

host, port, expected_dir = sys.argv[1], int(sys.argv[2]), sys.argv[3]
names = sorted(os.listdir(expected_dir), key=lambda n: int(n.split(".")[0]))
expected = [open(os.path.join(expected_dir, n), "rb").read() for n in names]


def check(cond, what):
    if not cond:
        print("FAIL:", what)
        sys.exit(1)
    print("ok:", what)


def ok(resp, what):
    typ, data = resp
    check(typ == "OK", "%s (%s %s)" % (what, typ, repr(data[:1])[:100]))
    return data


m = imaplib.IMAP4(host, port)
check("IMAP4REV1" in m.capabilities, "IMAP4rev1 advertised")
m.starttls(ssl_context=ssl._create_unverified_context())
ok(m.login("alice", "wonderland"), "LOGIN over STARTTLS")
data = ok(m.list(), "LIST")
listed = b"\n".join(data)
for name in (b"INBOX", b"Sent", b"Archive"):
    check(name in listed, "LIST shows %s" % name.decode())
data = ok(m.select("INBOX"), "SELECT INBOX")
check(int(data[0]) == len(expected), "SELECT says %d messages" % len(expected))

# Every message's full text, byte for byte, without setting \Seen.
for i, want in enumerate(expected, 1):
    data = ok(m.fetch(str(i), "(BODY.PEEK[] RFC822.SIZE)"), "FETCH %d BODY.PEEK[]" % i)
    body = data[0][1]
    size = int(re.search(rb"RFC822\.SIZE (\d+)", data[0][0]).group(1))
    check(body == want, "message %d equals the world's (%d octets)" % (i, len(want)))
    check(size == len(want), "RFC822.SIZE of %d is %d" % (i, len(want)))

# ENVELOPE and BODYSTRUCTURE against Python's own parse of the message.
for i, want in enumerate(expected, 1):
    msg = email.message_from_bytes(want)
    data = ok(m.fetch(str(i), "(ENVELOPE BODYSTRUCTURE)"), "FETCH %d ENVELOPE BODYSTRUCTURE" % i)
    text = b"".join(x if isinstance(x, bytes) else b"".join(x) for x in data)
    mid = msg["Message-ID"].encode()
    check(mid in text, "ENVELOPE of %d carries its Message-ID" % i)
    subtype = msg.get_content_subtype().upper().encode()
    check(subtype in text.upper(), "BODYSTRUCTURE of %d names %s" % (i, subtype.decode()))

# A body part of the multipart message: find the attachment's section.
for i, want in enumerate(expected, 1):
    msg = email.message_from_bytes(want)
    if msg.is_multipart() and msg.get_content_subtype() == "mixed":
        first = msg.get_payload(0)
        data = ok(m.fetch(str(i), "(BODY.PEEK[1.MIME] BODY.PEEK[1])"), "FETCH %d BODY[1]" % i)
        got = b"".join(x[1] for x in data if isinstance(x, tuple)).replace(b"\r\n", b"\n")
        part = first.get_payload(decode=False).strip().encode().replace(b"\r\n", b"\n")
        check(part in got, "BODY[1] of message %d is its first part" % i)
        break

data = ok(m.search(None, "UNSEEN"), "SEARCH UNSEEN")
unseen = data[0].split()
check(len(unseen) > 0, "some messages are unseen")
data = ok(m.search("UTF-8", "SUBJECT", "Lab"), "SEARCH SUBJECT Lab")
check(len(data[0].split()) >= 2, "SUBJECT search finds the lab messages")

ok(m.store(unseen[0], "+FLAGS", "(\\Flagged)"), "STORE +FLAGS")
data = ok(m.fetch(unseen[0], "(FLAGS)"), "FETCH FLAGS")
check(b"\\Flagged" in data[0], "the flag is set")

ok(m.create("Projects"), "CREATE Projects")
ok(m.copy("1:2", "Projects"), "COPY 1:2 Projects")
data = ok(m.status("Projects", "(MESSAGES UIDNEXT)"), "STATUS Projects")
check(b"MESSAGES 2" in data[0], "Projects has 2 messages after COPY")

typ, data = m._simple_command("MOVE", "3", "Projects")
check(typ == "OK", "MOVE 3 Projects")
data = ok(m.status("Projects", "(MESSAGES)"), "STATUS after MOVE")
check(b"MESSAGES 3" in data[0], "Projects has 3 messages after MOVE")
ok(m.noop(), "NOOP")

ok(m.store("1", "+FLAGS", "(\\Deleted)"), "STORE \\Deleted")
data = ok(m.expunge(), "EXPUNGE")
# imaplib keeps MOVE's untagged EXPUNGE too; EXPUNGE's own comes last.
check(data[-1] == b"1", "EXPUNGE reports message 1 (%r)" % data)
data = ok(m.select("INBOX"), "SELECT again")
check(int(data[0]) == len(expected) - 2, "INBOX lost the moved and the expunged message")

note = b"From: alice@example.com\r\nTo: bob@example.org\r\nSubject: imaplib append\r\n\r\nHello from imaplib.\r\n"
data = ok(m.append("Projects", "(\\Seen)", imaplib.Time2Internaldate(time.time()), note), "APPEND with a literal")
check(b"APPENDUID" in data[0], "APPENDUID in the response")

ok(m.rename("Projects", "Projects-2026"), "RENAME")
data = ok(m.list('""', "Projects*"), "LIST Projects*")
check(b"Projects-2026" in data[0] and not any(b'"Projects"' in x for x in data), "LIST shows the new name only")

# IDLE: another session's APPEND arrives as EXISTS at once.
ok(m.select("Projects-2026"), "SELECT Projects-2026")
tag = m._new_tag().decode()
m.send(("%s IDLE\r\n" % tag).encode())
line = m.readline()
check(line.startswith(b"+"), "IDLE continuation %r" % line)
other = imaplib.IMAP4(host, port)
ok(other.login("alice", "wonderland"), "second session LOGIN")
ok(other.append("Projects-2026", None, None, note), "second session APPEND")
other.logout()
m.sock.settimeout(10)
line = m.readline()
check(re.match(rb"\* \d+ EXISTS", line) is not None, "IDLE saw %r" % line)
m.send(b"DONE\r\n")
while True:
    line = m.readline()
    if line.startswith(tag.encode()):
        check(b"OK" in line, "IDLE ended OK")
        break
m.logout()
print("imaplib: all checks passed")
