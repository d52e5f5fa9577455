package main

import (
	"fmt"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// mailServer is one contender of the mail rows: where its IMAP and POP3
// listen (POP3 empty for a server without it).
type mailServer struct {
	name       string
	imap, pop3 string
	proc       *proc
}

// startDovecot starts Dovecot on two free loopback ports with a throwaway
// configuration under dir, serving the Maildir written there. As root, mail
// belongs to nobody (Dovecot runs no mail process as root); otherwise
// everything runs as the caller. Settings are Dovecot's defaults except
// what a loopback benchmark needs: plaintext logins and enough connections
// per user and address for the login storm.
func startDovecot(bin, dir string) (*mailServer, error) {
	imapPort, err := freePort()
	if err != nil {
		return nil, err
	}
	pop3Port, err := freePort()
	for err == nil && pop3Port == imapPort {
		pop3Port, err = freePort()
	}
	if err != nil {
		return nil, err
	}
	for _, d := range []string{"run", "state"} {
		if err := os.MkdirAll(filepath.Join(dir, d), 0o755); err != nil {
			return nil, err
		}
	}
	if err := os.WriteFile(filepath.Join(dir, "users"), []byte(benchUser+":{PLAIN}"+benchPass+"\n"), 0o644); err != nil {
		return nil, err
	}
	var uid, gid int
	users := ""
	if os.Geteuid() == 0 {
		nobody, err := user.Lookup("nobody")
		if err != nil {
			return nil, fmt.Errorf("dovecot: %w", err)
		}
		uid, _ = strconv.Atoi(nobody.Uid)
		gid, _ = strconv.Atoi(nobody.Gid)
		if err := chownTree(filepath.Join(dir, "mail"), uid, gid); err != nil {
			return nil, fmt.Errorf("dovecot: %w", err)
		}
		os.Chmod(dir, 0o755)
	} else {
		me, err := user.Current()
		if err != nil {
			return nil, err
		}
		g, err := user.LookupGroupId(me.Gid)
		if err != nil {
			return nil, err
		}
		uid, gid = os.Getuid(), os.Getgid()
		users = fmt.Sprintf("default_internal_user = %s\ndefault_login_user = %s\ndefault_internal_group = %s\n", me.Username, me.Username, g.Name)
	}
	conf := fmt.Sprintf(`base_dir = %[1]s/run
state_dir = %[1]s/state
log_path = %[1]s/dovecot.log
instance_name = wirelab-bench
protocols = imap pop3
listen = 127.0.0.1
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
first_valid_uid = 1
mail_location = maildir:%[1]s/mail/%%u
pop3_uidl_format = %%08Xu%%08Xv
mail_max_userip_connections = 1000
%[2]s
passdb {
  driver = passwd-file
  args = %[1]s/users
}
userdb {
  driver = static
  args = uid=%[3]d gid=%[4]d home=%[1]s/mail/%%u
}
service imap-login {
  inet_listener imap {
    port = %[5]d
  }
  inet_listener imaps {
    port = 0
  }
}
service pop3-login {
  inet_listener pop3 {
    port = %[6]d
  }
  inet_listener pop3s {
    port = 0
  }
}
`, dir, users, uid, gid, imapPort, pop3Port)
	confPath := filepath.Join(dir, "dovecot.conf")
	if err := os.WriteFile(confPath, []byte(conf), 0o644); err != nil {
		return nil, err
	}
	p, err := startProc("Dovecot", bin, "-F", "-c", confPath)
	if err != nil {
		return nil, err
	}
	s := &mailServer{name: "Dovecot", imap: fmt.Sprintf("127.0.0.1:%d", imapPort), pop3: fmt.Sprintf("127.0.0.1:%d", pop3Port), proc: p}
	if err := p.waitTCP(20*time.Second, s.imap, s.pop3); err != nil {
		log, _ := os.ReadFile(filepath.Join(dir, "dovecot.log"))
		p.stop()
		return nil, fmt.Errorf("%w\ndovecot.log:\n%s", err, log)
	}
	return s, nil
}

func chownTree(root string, uid, gid int) error {
	return filepath.Walk(root, func(p string, _ os.FileInfo, err error) error {
		if err != nil {
			return err
		}
		return os.Lchown(p, uid, gid)
	})
}

// startIMAPMem starts go-imap v2's in-memory server with the bench user.
func startIMAPMem(bin string) (*mailServer, error) {
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	addr := fmt.Sprintf("127.0.0.1:%d", port)
	p, err := startProc("imapmemserver", bin, "-listen", addr, "-username", benchUser, "-password", benchPass, "-insecure-auth")
	if err != nil {
		return nil, err
	}
	if err := p.waitTCP(20*time.Second, addr); err != nil {
		p.stop()
		return nil, err
	}
	return &mailServer{name: "go-imap imapmemserver", imap: addr, proc: p}, nil
}

// startUnbound starts Unbound as an iterating resolver on a free loopback
// port, with the given root hints and number of threads. Everything else
// is Unbound's default, except what loopback needs (querying 127.0.0.0/8)
// and qname minimisation, off so that both resolvers ask the same
// questions; and the bench zones live under test. (RFC 6761 §6.2), which
// Unbound otherwise answers itself with NXDOMAIN.
func startUnbound(bin, dir, hints string, threads int) (*proc, string, error) {
	port, err := freePort()
	if err != nil {
		return nil, "", err
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, "", err
	}
	conf := filepath.Join(dir, "unbound.conf")
	err = os.WriteFile(conf, fmt.Appendf(nil, `server:
	interface: 127.0.0.1
	port: %d
	num-threads: %d
	do-ip6: no
	do-not-query-localhost: no
	root-hints: %q
	module-config: "iterator"
	username: ""
	chroot: ""
	directory: %q
	pidfile: %q
	use-syslog: no
	logfile: ""
	verbosity: 0
	access-control: 127.0.0.0/8 allow
	qname-minimisation: no
	local-zone: "test." nodefault
remote-control:
	control-enable: no
`, port, threads, hints, dir, filepath.Join(dir, "unbound.pid")), 0o644)
	if err != nil {
		return nil, "", err
	}
	p, err := startProc(fmt.Sprintf("Unbound (%d thread)", threads), bin, "-d", "-c", conf)
	if err != nil {
		return nil, "", err
	}
	addr := fmt.Sprintf("127.0.0.1:%d", port)
	if err := p.waitTCP(20*time.Second, addr); err != nil {
		p.stop()
		return nil, "", err
	}
	return p, addr, nil
}

// version runs a program's version command and returns its first line.
func version(argv ...string) string {
	out, err := exec.Command(argv[0], argv[1:]...).CombinedOutput()
	if err != nil && len(out) == 0 {
		return "unknown"
	}
	for _, line := range strings.Split(string(out), "\n") {
		if line = strings.TrimSpace(line); line != "" && !strings.HasPrefix(line, "DNS Performance") {
			return line
		}
	}
	return "unknown"
}
