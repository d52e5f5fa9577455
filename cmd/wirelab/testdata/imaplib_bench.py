"""Imports messages with imaplib, then lists and searches them, and prints
the wall time of each phase.

Usage: imaplib_bench.py HOST PORT USER PASS MAILBOX N
Prints: messages=N append=S fetch=S search=S hits=N
"""
import imaplib
import socket
import sys
import time

host, port, user, password, mailbox, n = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4], sys.argv[5], int(sys.argv[6])
body = "The quick brown fox jumps over the lazy dog, again and again.\r\n" * 4
m = imaplib.IMAP4(host, port, timeout=120)
m.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
m.login(user, password)
typ, _ = m.create(mailbox)
assert typ == "OK", typ

start = time.perf_counter()
for i in range(1, n + 1):
    msg = ("From: Sender <sender@example.org>\r\nTo: %s@example.com\r\n"
           "Subject: import %d\r\nMessage-ID: <%d@example.org>\r\n\r\n%s" % (user, i, i, body))
    typ, _ = m.append(mailbox, None, None, msg.encode())
    assert typ == "OK", typ
append = time.perf_counter() - start

typ, data = m.select(mailbox)
assert typ == "OK" and int(data[0]) == n, (typ, data)
start = time.perf_counter()
typ, data = m.fetch("1:*", "(FLAGS RFC822.SIZE)")
assert typ == "OK" and len(data) == n, (typ, len(data))
fetch = time.perf_counter() - start

start = time.perf_counter()
typ, data = m.search(None, "SUBJECT", '"import %d"' % (n // 2))
assert typ == "OK", typ
hits = len(data[0].split())
search = time.perf_counter() - start
m.logout()
print("messages=%d append=%.3f fetch=%.3f search=%.3f hits=%d" % (n, append, fetch, search, hits))
