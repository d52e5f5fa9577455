#!/bin/sh
# Runs the mail transcripts of wirelab's built-in conformance corpus against
# Dovecot, to show that they encode the RFCs and not wirelab's engine.
#
# Dovecot (Debian's dovecot-imapd and dovecot-pop3d) is started on two free
# loopback ports with a throwaway configuration in a temporary directory;
# before each transcript, `wirelab conformance --maildir` writes the
# transcript's world there as Maildir++ and a passwd-file, which is what
# Dovecot serves. Dovecot is stopped and the directory removed on exit.
#
#   conformance/dovecot.sh [path/to/wirelab] [extra conformance flags...]
#
# Without Dovecot installed it says how to install it and exits 0, unless
# CI=true, where a missing peer is a failure.
set -eu

wirelab=${1:-bin/wirelab}
[ $# -gt 0 ] && shift

if ! command -v dovecot >/dev/null 2>&1 && [ ! -x /usr/sbin/dovecot ]; then
	msg="conformance/dovecot.sh: Dovecot is not installed (apt-get install dovecot-imapd dovecot-pop3d)"
	if [ "${CI:-}" = true ]; then
		echo "$msg" >&2
		exit 1
	fi
	echo "$msg; skipping the Dovecot cross-check" >&2
	exit 0
fi
dovecot=$(command -v dovecot || echo /usr/sbin/dovecot)

dir=$(mktemp -d "${TMPDIR:-/tmp}/wirelab-dovecot.XXXXXX")
pid=
cleanup() {
	if [ -n "$pid" ]; then
		kill "$pid" 2>/dev/null || true
		wait "$pid" 2>/dev/null || true
	fi
	[ -n "${KEEP:-}" ] && echo "kept $dir" >&2 || rm -rf "$dir"
}
trap cleanup EXIT INT TERM

free_port() {
	python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}
imap_port=$(free_port)
pop3_port=$(free_port)
while [ "$pop3_port" = "$imap_port" ]; do pop3_port=$(free_port); done

# Dovecot will not run mail processes as root: as root, mail belongs to
# nobody; otherwise everything runs as the caller.
mkdir -p "$dir/worlds" "$dir/run" "$dir/state"
if [ "$(id -u)" = 0 ]; then
	mail_uid=$(id -u nobody)
	mail_gid=$(id -g nobody)
	chown "$mail_uid:$mail_gid" "$dir/worlds"
	chmod 755 "$dir"
	users=""
	chroot=""
else
	mail_uid=$(id -u)
	mail_gid=$(id -g)
	me=$(id -un)
	users="default_internal_user = $me
default_login_user = $me
default_internal_group = $(id -gn)"
	# Chroots need root.
	chroot="chroot ="
	users="$users
service anvil {
  chroot =
}"
fi

cat >"$dir/dovecot.conf" <<EOF
base_dir = $dir/run
state_dir = $dir/state
log_path = $dir/dovecot.log
instance_name = wirelab-conformance
protocols = imap pop3
listen = 127.0.0.1
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login apop
first_valid_uid = 1
mail_location = maildir:$dir/worlds/mail/%u
pop3_uidl_format = %08Xu%08Xv
$users
passdb {
  driver = passwd-file
  args = $dir/worlds/users
}
userdb {
  driver = static
  args = uid=$mail_uid gid=$mail_gid home=$dir/worlds/mail/%u
}
service imap-login {
  $chroot
  inet_listener imap {
    port = $imap_port
  }
  inet_listener imaps {
    port = 0
  }
}
service pop3-login {
  $chroot
  inet_listener pop3 {
    port = $pop3_port
  }
  inet_listener pop3s {
    port = 0
  }
}
EOF

"$dovecot" -F -c "$dir/dovecot.conf" &
pid=$!

# Wait up to 10 s for both listeners.
i=0
until python3 -c "import socket,sys; [socket.create_connection(('127.0.0.1', p), 1).close() for p in ($imap_port, $pop3_port)]" 2>/dev/null; do
	i=$((i + 1))
	if [ $i -ge 100 ] || ! kill -0 "$pid" 2>/dev/null; then
		echo "conformance/dovecot.sh: Dovecot did not start; its log:" >&2
		cat "$dir/dovecot.log" >&2 2>/dev/null || true
		exit 1
	fi
	sleep 0.1
done
echo "conformance/dovecot.sh: $("$dovecot" --version | cut -d' ' -f1) on imap 127.0.0.1:$imap_port, pop3 127.0.0.1:$pop3_port"

status=0
for proto in imap pop3; do
	eval port=\$${proto}_port
	"$wirelab" conformance --target "$proto://127.0.0.1:$port" --maildir "$dir/worlds" --peer dovecot "$@" || status=1
done
if [ $status -ne 0 ]; then
	echo "conformance/dovecot.sh: Dovecot's log:" >&2
	tail -n 50 "$dir/dovecot.log" >&2 || true
fi
exit $status
