//go:build !linux

package main

import "net"

// withQuickAck is a no-op where TCP_QUICKACK does not exist.
func withQuickAck(c net.Conn) net.Conn { return c }

// listenSessions listens on a session listener's TCP address; the
// connections get Go's default keep-alive probes.
func listenSessions(addr string) (net.Listener, error) { return net.Listen("tcp", addr) }
