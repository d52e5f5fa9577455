package main

import (
	"net"
	"syscall"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestListenSessionsKeepAlive: a connection accepted on a session
// listener has the keep-alive probes Go would have set on it one by one
// (the kernel copies them from the listening socket), and TCP_NODELAY.
func TestListenSessionsKeepAlive(t *testing.T) {
	ln, err := listenSessions("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	client, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer client.Close()
	c, err := ln.Accept()
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	raw, err := c.(*net.TCPConn).SyscallConn()
	if err != nil {
		t.Fatal(err)
	}
	type opt struct {
		name         string
		level, which int
	}
	opts := []opt{
		{"SO_KEEPALIVE", syscall.SOL_SOCKET, syscall.SO_KEEPALIVE},
		{"TCP_KEEPIDLE", syscall.IPPROTO_TCP, syscall.TCP_KEEPIDLE},
		{"TCP_KEEPINTVL", syscall.IPPROTO_TCP, syscall.TCP_KEEPINTVL},
		{"TCP_KEEPCNT", syscall.IPPROTO_TCP, syscall.TCP_KEEPCNT},
		{"TCP_NODELAY", syscall.IPPROTO_TCP, syscall.TCP_NODELAY},
	}
	got := map[string]int{}
	var gerr error
	if err := raw.Control(func(fd uintptr) {
		for _, o := range opts {
			v, err := syscall.GetsockoptInt(int(fd), o.level, o.which)
			if err != nil {
				gerr = err
				return
			}
			got[o.name] = v
		}
	}); err != nil {
		t.Fatal(err)
	}
	if gerr != nil {
		t.Fatal(gerr)
	}
	want := map[string]int{"SO_KEEPALIVE": 1, "TCP_KEEPIDLE": keepAliveIdle, "TCP_KEEPINTVL": keepAliveInterval, "TCP_KEEPCNT": keepAliveCount, "TCP_NODELAY": 1}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("accepted socket options (-want +got):\n%s", diff)
	}
}
