"""The POP3 workload of bench/peers, with Python's poplib: log in, STAT,
UIDL, RETR of every message, QUIT, timed by the client's wall clock.

Usage: pop3_workload.py HOST PORT USER PASS
Prints: messages=N octets=N seconds=S
"""
import poplib
import socket
import sys
import time

host, port, user, password = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
start = time.perf_counter()
p = poplib.POP3(host, port, timeout=600)
p.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
p.user(user)
p.pass_(password)
count, _ = p.stat()
p.uidl()
total = 0
for i in range(1, count + 1):
    _, lines, octets = p.retr(i)
    total += octets
p.quit()
elapsed = time.perf_counter() - start
print("messages=%d octets=%d seconds=%.4f" % (count, total, elapsed))
