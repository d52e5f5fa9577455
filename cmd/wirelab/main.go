// Command wirelab runs wirelab's engine natively: a POP3 server and a local
// DNS server on real sockets over a world (serve), and one-off lookups in
// the world's DNS hierarchy (resolve).
package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
)

const usage = `usage: wirelab <command> [flags]

Commands:
  serve     run the servers on loopback over a world's mail and DNS
  resolve   look a name up in the world's DNS, as dig would, with --trace
  conformance  replay RFC transcripts against the engine or a live server
  replay    replay a captured session (pcap, C:/S: log, rawlog) and report divergences
  version   print the version

Run "wirelab <command> -h" for a command's flags.
`

// version is set at build time with -ldflags "-X main.version=...".
var version = "dev"

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

// run is main without the process: tests call it directly.
func run(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return 2
	}
	var err error
	switch args[0] {
	case "serve":
		err = serve(args[1:], stdout, stderr)
	case "resolve":
		err = resolveCmd(args[1:], stdout, stderr)
	case "conformance":
		err = conformanceCmd(args[1:], stdout, stderr)
	case "replay":
		err = replayCmd(args[1:], stdout, stderr)
	case "version":
		fmt.Fprintln(stdout, "wirelab", version)
	case "-h", "-help", "--help", "help":
		fmt.Fprint(stdout, usage)
	default:
		fmt.Fprintf(stderr, "wirelab: unknown command %q\n\n%s", args[0], usage)
		return 2
	}
	switch {
	case err == nil:
		return 0
	case errors.Is(err, flag.ErrHelp):
		return 0
	case errors.Is(err, errUsage):
		return 2
	case errors.Is(err, errSilentFailure):
		return 1
	default:
		fmt.Fprintln(stderr, "wirelab:", err)
		return 1
	}
}

// errUsage marks an error whose message the flag package already printed.
var errUsage = errors.New("usage")
