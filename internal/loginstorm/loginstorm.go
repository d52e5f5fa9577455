// Package loginstorm is the client of the IMAP login storm that
// bench/peers and cmd/wirelab's BenchmarkLoginStorm run against wirelab
// and its peers: one connection per cycle, greeting, LOGIN, LOGOUT.
package loginstorm

import (
	"bufio"
	"fmt"
	"net"
	"strings"
	"time"
)

// Cycle is one connection: greeting, LOGIN (RFC 9051 §6.2.3), LOGOUT
// (§6.1.3). tag prefixes the commands' tags, so that a failure names the
// cycle.
func Cycle(addr, tag, user, pass string) error {
	c, err := net.DialTimeout("tcp", addr, 10*time.Second)
	if err != nil {
		return err
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(30 * time.Second))
	r := bufio.NewReader(c)
	line, err := r.ReadString('\n')
	if err != nil {
		return fmt.Errorf("greeting: %w", err)
	}
	if !strings.HasPrefix(line, "* OK") {
		return fmt.Errorf("greeting %q", line)
	}
	await := func(t string) error {
		for {
			line, err := r.ReadString('\n')
			if err != nil {
				return fmt.Errorf("%s: %w", t, err)
			}
			if strings.HasPrefix(line, t+" ") {
				if !strings.HasPrefix(line, t+" OK") {
					return fmt.Errorf("%s: %q", t, line)
				}
				return nil
			}
		}
	}
	if _, err := fmt.Fprintf(c, "%sa LOGIN %s %s\r\n", tag, user, pass); err != nil {
		return err
	}
	if err := await(tag + "a"); err != nil {
		return err
	}
	if _, err := fmt.Fprintf(c, "%sb LOGOUT\r\n", tag); err != nil {
		return err
	}
	return await(tag + "b")
}
