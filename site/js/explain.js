// What each server line means, with the RFC section that defines it. A
// line is matched by its shape, and for POP3 (whose answers do not say what
// they answer) by the command it answers.

const P = (rfc, en, ko) => ({ rfc, en, ko });

// POP3 answers by the command they answer: RFC 1939 unless said otherwise.
const pop3OK = {
  greeting: P("RFC 1939 §4", "The greeting: the server is ready and the session is in the AUTHORIZATION state. The <...> part is the timestamp APOP uses (§7).", "인사말: 서버가 준비되었고 세션은 AUTHORIZATION 상태입니다. <...> 부분은 APOP가 쓰는 타임스탬프입니다(§7)."),
  USER: P("RFC 1939 §7", "The server accepts the user name and waits for PASS.", "서버가 사용자 이름을 받아들이고 PASS를 기다립니다."),
  PASS: P("RFC 1939 §7", "Password accepted: the maildrop is locked for this session and the session enters the TRANSACTION state.", "비밀번호가 맞습니다. 이 세션이 메일드롭을 잠그고 TRANSACTION 상태로 들어갑니다."),
  APOP: P("RFC 1939 §7", "APOP login accepted: the client proved it knows the password by sending the MD5 digest of the timestamp and the password, never the password itself.", "APOP 로그인 성공: 클라이언트는 비밀번호 대신 타임스탬프와 비밀번호의 MD5 다이제스트를 보내 비밀번호를 안다는 것을 증명했습니다."),
  AUTH: P("RFC 5034 §4", "SASL authentication succeeded; the session enters the TRANSACTION state.", "SASL 인증에 성공해 세션이 TRANSACTION 상태로 들어갑니다."),
  STAT: P("RFC 1939 §5", "The drop listing: the number of messages and their total size in octets (messages marked deleted are not counted).", "드롭 목록(drop listing): 메시지 수와 전체 크기(옥텟)입니다. 삭제 표시된 메시지는 세지 않습니다."),
  LIST: P("RFC 1939 §5", "The scan listing follows: one line per message, its number and its size in octets, ended by a line holding a single dot.", "스캔 목록이 이어집니다. 메시지마다 번호와 크기(옥텟)를 한 줄씩 보내고, 점 하나만 있는 줄로 끝납니다."),
  RETR: P("RFC 1939 §5", "The whole message follows, line by line, ended by a line holding a single dot. It stays on the server unless the client sends DELE.", "메시지 전체가 한 줄씩 이어지고 점 하나만 있는 줄로 끝납니다. 클라이언트가 DELE를 보내지 않으면 메시지는 서버에 남습니다."),
  DELE: P("RFC 1939 §5", "The message is only marked as deleted. It is really removed in the UPDATE state, after QUIT; RSET would unmark it.", "메시지에 삭제 표시만 했습니다. 실제 삭제는 QUIT 뒤 UPDATE 상태에서 일어나고, RSET을 보내면 표시가 풀립니다."),
  NOOP: P("RFC 1939 §5", "NOOP does nothing; the server just answers +OK (it keeps the connection from timing out).", "NOOP은 아무 일도 하지 않고 +OK로 답합니다(연결이 시간 초과되지 않게 할 때 씁니다)."),
  RSET: P("RFC 1939 §5", "Every deletion mark of this session is removed.", "이 세션에서 한 삭제 표시가 모두 풀렸습니다."),
  QUIT: P("RFC 1939 §6", "QUIT in the TRANSACTION state enters the UPDATE state: the messages marked deleted are now removed, the maildrop is unlocked and the connection closes. (QUIT before login deletes nothing, §4.)", "TRANSACTION 상태에서 QUIT을 보내면 UPDATE 상태가 됩니다. 삭제 표시된 메시지가 이제 지워지고, 메일드롭 잠금이 풀리고, 연결이 끊깁니다(로그인 전의 QUIT은 아무것도 지우지 않습니다, §4)."),
  TOP: P("RFC 1939 §7", "The message's header, a blank line and the first n lines of its body follow, ended by a single dot.", "메시지 헤더, 빈 줄, 본문의 처음 n줄이 이어지고 점 하나로 끝납니다."),
  UIDL: P("RFC 1939 §7", "The unique-id listing: each message's number and an id that never changes, so a client can tell which messages it already downloaded.", "고유 ID 목록(unique-id listing): 메시지 번호와 바뀌지 않는 ID입니다. 클라이언트는 이것으로 이미 받은 메시지를 알아봅니다."),
  CAPA: P("RFC 2449 §5", "The capabilities follow, one per line, ended by a single dot.", "서버의 기능(capability) 목록이 한 줄에 하나씩 이어지고 점 하나로 끝납니다."),
  STLS: P("RFC 2595 §4", "The server is ready to start TLS on this connection (the playground has no TLS layer).", "서버가 이 연결에서 TLS를 시작할 준비가 되었습니다(플레이그라운드에는 TLS 계층이 없습니다)."),
};
const pop3Data = {
  LIST: P("RFC 1939 §5", "One message of the scan listing: its number, then its size in octets.", "스캔 목록의 한 줄: 메시지 번호, 그다음 크기(옥텟)."),
  UIDL: P("RFC 1939 §7", "One message of the unique-id listing: its number, then its unique id.", "고유 ID 목록의 한 줄: 메시지 번호, 그다음 고유 ID."),
  RETR: P("RFC 1939 §3", "A line of the message. A line that starts with a dot is sent with one more dot (byte-stuffing), so that it cannot end the response.", "메시지의 한 줄입니다. 점으로 시작하는 줄은 응답의 끝으로 오해받지 않도록 점을 하나 더 붙여 보냅니다(byte-stuffing)."),
  TOP: P("RFC 1939 §3", "A line of the message's header or of its first body lines (byte-stuffed like RETR).", "메시지 헤더나 본문 앞부분의 한 줄입니다(RETR처럼 byte-stuffing 합니다)."),
  CAPA: P("RFC 2449 §6", "One capability the server has (for example UIDL, TOP, USER, PIPELINING).", "서버의 기능 하나입니다(예: UIDL, TOP, USER, PIPELINING)."),
};

const pop3Rules = [
  [/^\.$/, P("RFC 1939 §3", "A single dot ends a multi-line response.", "점 하나만 있는 줄은 여러 줄 응답의 끝입니다.")],
  [/^-ERR \[IN-USE\]/, P("RFC 2449 §8.1.2", "Refused: another session holds the maildrop's lock. POP3 lets only one session at a time use a maildrop.", "거절: 다른 세션이 메일드롭을 잠그고 있습니다. POP3에서는 한 번에 한 세션만 메일드롭을 쓸 수 있습니다.")],
  [/^-ERR \[AUTH\]/, P("RFC 3206 §4", "Refused because of the credentials: wrong user name or password.", "자격 증명 문제로 거절: 사용자 이름이나 비밀번호가 틀렸습니다.")],
  [/^-ERR \[LOGIN-DELAY\]/, P("RFC 2449 §8.1.1", "Refused: the user logged in too recently.", "거절: 너무 최근에 로그인했습니다.")],
  [/^-ERR .*(autologout|timeout|timed out|idle|inactivity)/i, P("RFC 1939 §3", "The autologout timer (at least 10 minutes) ran out: the server closes the connection without entering the UPDATE state, so no message is deleted.", "자동 로그아웃 타이머(최소 10분)가 끝났습니다. 서버는 UPDATE 상태를 거치지 않고 연결을 끊으므로 아무 메시지도 지워지지 않습니다.")],
  [/^-ERR/, P("RFC 1939 §3", "A negative response: the command failed or is not valid in this state. The text after -ERR is for people.", "부정 응답: 명령이 실패했거나 지금 상태에서 쓸 수 없습니다. -ERR 뒤의 글은 사람을 위한 설명입니다.")],
];

const imapRules = [
  [/^\* OK \[CAPABILITY [^\]]*\].*ready/i, P("RFC 9051 §7.1.1, §7.2.2", "The greeting: the server is ready (NOT AUTHENTICATED state) and lists its capabilities at once, saving a CAPABILITY command.", "인사말: 서버가 준비되었고(NOT AUTHENTICATED 상태) 기능 목록을 바로 알려 CAPABILITY 명령을 아낄 수 있게 합니다.")],
  [/^\* PREAUTH/, P("RFC 9051 §7.1.4", "The connection is already authenticated.", "연결이 이미 인증된 상태입니다.")],
  [/^\* CAPABILITY/, P("RFC 9051 §7.2.2", "The server's capabilities: the IMAP versions and extensions it speaks.", "서버가 지원하는 IMAP 버전과 확장 기능 목록입니다.")],
  [/^\* \d+ EXISTS/, P("RFC 9051 §7.4.1", "How many messages the mailbox holds now. Messages are numbered 1 to this number (message sequence numbers).", "메일함에 지금 들어 있는 메시지 수입니다. 메시지는 1부터 이 수까지 번호(메시지 순번)가 붙습니다.")],
  [/^\* \d+ RECENT/, P("RFC 3501 §7.3.2", "How many messages arrived since the last session that selected this mailbox (IMAP4rev1; IMAP4rev2 dropped \\Recent).", "이 메일함을 마지막으로 선택한 세션 이후에 도착한 메시지 수입니다(IMAP4rev1; IMAP4rev2에서는 \\Recent가 없어졌습니다).")],
  [/^\* OK \[UNSEEN \d+\]/, P("RFC 3501 §7.1", "The number of the first message without the \\Seen flag.", "\\Seen 플래그가 없는 첫 메시지의 번호입니다.")],
  [/^\* OK \[UIDVALIDITY \d+\]/, P("RFC 9051 §7.1, §2.3.1.1", "The UID validity value. As long as it stays the same, a UID names the same message for good, across sessions and devices: this is how a client keeps its state.", "UID 유효값입니다. 이 값이 그대로인 동안 UID는 세션과 기기가 바뀌어도 언제나 같은 메시지를 가리킵니다. 클라이언트는 이것으로 상태를 유지합니다.")],
  [/^\* OK \[UIDNEXT \d+\]/, P("RFC 9051 §7.1, §2.3.1.1", "The UID the next new message will get. UIDs only grow and are never reused.", "다음에 들어올 메시지가 받을 UID입니다. UID는 커지기만 하고 다시 쓰이지 않습니다.")],
  [/^\* OK \[PERMANENTFLAGS/, P("RFC 9051 §7.1", "The flags the client may change for good; \\* means it may also create its own keywords.", "클라이언트가 영구히 바꿀 수 있는 플래그입니다. \\*는 키워드를 새로 만들 수도 있다는 뜻입니다.")],
  [/^\* OK \[HIGHESTMODSEQ/, P("RFC 7162 §3.1.2.1", "The highest modification sequence in the mailbox: a client that remembers it can ask for only what changed since.", "메일함의 가장 큰 수정 순번(mod-sequence)입니다. 이 값을 기억한 클라이언트는 그 뒤에 바뀐 것만 물어볼 수 있습니다.")],
  [/^\* OK \[CLOSED\]/, P("RFC 9051 §7.1", "The previously selected mailbox is now closed.", "이전에 선택했던 메일함이 닫혔습니다.")],
  [/^\* FLAGS/, P("RFC 9051 §7.3.5", "The flags defined in this mailbox.", "이 메일함에서 쓰는 플래그 목록입니다.")],
  [/^\* \d+ FETCH .*FLAGS/, P("RFC 9051 §7.5.2", "A message's data: here its flags as they are now. Unasked, this reports a change (by this session or another one).", "메시지 데이터: 여기서는 지금의 플래그입니다. 요청하지 않았는데 오면 (이 세션이나 다른 세션이 만든) 변경을 알리는 것입니다.")],
  [/^\* \d+ FETCH/, P("RFC 9051 §7.5.2", "A message's data, as the FETCH command asked for it (UID, flags, size, body parts…).", "FETCH 명령이 요청한 메시지 데이터입니다(UID, 플래그, 크기, 본문 일부…).")],
  [/^\* \d+ EXPUNGE/, P("RFC 9051 §7.5.1", "The message with this sequence number was removed for good. Every later message's number drops by one at once: that is why clients prefer UIDs.", "이 순번의 메시지가 완전히 지워졌습니다. 뒤에 있던 메시지 번호가 모두 하나씩 줄어듭니다. 그래서 클라이언트는 UID를 더 좋아합니다.")],
  [/^\* VANISHED/, P("RFC 7162 §3.2.10", "These UIDs were expunged (QRESYNC's compact form of EXPUNGE).", "이 UID들이 지워졌습니다(QRESYNC에서 EXPUNGE를 줄여 쓰는 형태).")],
  [/^\* LIST/, P("RFC 9051 §7.3.1", "One mailbox: its attributes (such as \\HasNoChildren, \\Sent), the hierarchy delimiter and its name.", "메일함 하나: 속성(\\HasNoChildren, \\Sent 등), 계층 구분자, 이름입니다.")],
  [/^\* LSUB/, P("RFC 3501 §7.2.3", "One subscribed mailbox.", "구독 중인 메일함 하나입니다.")],
  [/^\* STATUS/, P("RFC 9051 §7.3.3", "A mailbox's counters, without selecting it.", "메일함을 선택하지 않고 본 카운터 값들입니다.")],
  [/^\* ESEARCH/, P("RFC 9051 §7.3.4", "The result of a SEARCH in the extended form (MIN, MAX, COUNT, ALL).", "확장 형식(MIN, MAX, COUNT, ALL)으로 된 SEARCH 결과입니다.")],
  [/^\* SEARCH/, P("RFC 3501 §7.2.5", "The numbers (or UIDs) of the messages that match the search.", "검색 조건에 맞는 메시지의 번호(또는 UID)입니다.")],
  [/^\* NAMESPACE/, P("RFC 9051 §7.3.2", "Where personal, other users' and shared mailboxes live in the name space.", "개인 메일함, 다른 사용자 메일함, 공유 메일함이 이름 공간의 어디에 있는지 알려 줍니다.")],
  [/^\* ENABLED/, P("RFC 9051 §7.2.1", "The extensions this session has turned on.", "이 세션에서 켠 확장 기능입니다.")],
  [/^\* ID/, P("RFC 2971 §3.2", "The server's identification.", "서버의 식별 정보입니다.")],
  [/^\* BYE Autologout/i, P("RFC 9051 §5.4", "Autologout: no command for 30 minutes, so the server closes the connection.", "자동 로그아웃: 30분 동안 명령이 없어서 서버가 연결을 끊습니다.")],
  [/^\* BYE/, P("RFC 9051 §7.1.5", "The server is closing the connection (after LOGOUT, or on autologout after 30 minutes without a command).", "서버가 연결을 끊습니다(LOGOUT 뒤, 또는 30분 동안 명령이 없어 자동 로그아웃될 때).")],
  [/^\+/, P("RFC 9051 §7.6", "A continuation request: the server is ready for the rest of the command (a literal's bytes, or the next step of authentication). In IDLE it means the server will now push changes.", "계속 요청: 서버가 명령의 나머지(리터럴 바이트나 다음 인증 단계)를 받을 준비가 되었습니다. IDLE에서는 이제부터 변경을 바로 알려 준다는 뜻입니다.")],
  [/^\* NO/, P("RFC 9051 §7.1.2", "An untagged warning from the server.", "서버의 태그 없는 경고입니다.")],
  [/^\* BAD/, P("RFC 9051 §7.1.3", "The server could not parse a line (for instance it had no tag).", "서버가 줄을 해석하지 못했습니다(예: 태그가 없음).")],
  [/^\S+ OK \[READ-WRITE\]/, P("RFC 9051 §6.3.2, §7.1", "The mailbox is selected and may be changed: the session is in the SELECTED state.", "메일함이 선택되었고 변경할 수 있습니다. 세션은 SELECTED 상태입니다.")],
  [/^\S+ OK \[READ-ONLY\]/, P("RFC 9051 §6.3.3, §7.1", "The mailbox is selected read-only (EXAMINE): flags will not change, not even \\Seen.", "메일함을 읽기 전용으로 선택했습니다(EXAMINE). \\Seen조차 바뀌지 않습니다.")],
  [/^\S+ OK \[APPENDUID/, P("RFC 4315 §3", "The message was stored; the code gives the mailbox's UIDVALIDITY and the new message's UID.", "메시지가 저장되었습니다. 응답 코드에 메일함의 UIDVALIDITY와 새 메시지의 UID가 있습니다.")],
  [/^\S+ OK \[COPYUID/, P("RFC 4315 §3", "The messages were copied (or moved); the code maps their old UIDs to the new ones.", "메시지가 복사(또는 이동)되었습니다. 응답 코드가 옛 UID와 새 UID를 짝지어 줍니다.")],
  [/^\S+ OK \[CAPABILITY[^\]]*\] Logged in/i, P("RFC 9051 §6.2.3, §7.1.1", "Login succeeded: the session is in the AUTHENTICATED state; the capabilities may have changed, so they are sent again.", "로그인 성공: 세션은 AUTHENTICATED 상태입니다. 기능 목록이 달라질 수 있어 다시 보냅니다.")],
  [/^\S+ OK/, P("RFC 9051 §7.1.1", "The tagged OK: the command with this tag is complete and succeeded. The tag lets the client match answers to commands.", "태그가 붙은 OK: 이 태그의 명령이 끝났고 성공했습니다. 클라이언트는 태그로 응답과 명령을 짝짓습니다.")],
  [/^\S+ NO/, P("RFC 9051 §7.1.2", "The tagged NO: the command was understood but failed (a wrong password, a mailbox that does not exist…).", "태그가 붙은 NO: 명령은 이해했지만 실패했습니다(틀린 비밀번호, 없는 메일함 등).")],
  [/^\S+ BAD/, P("RFC 9051 §7.1.3", "The tagged BAD: the command is not valid here (a syntax error, or the wrong state).", "태그가 붙은 BAD: 여기서 쓸 수 없는 명령입니다(문법 오류 또는 잘못된 상태).")],
];

const literalLine = P("RFC 9051 §4.3", "Part of a literal: message data sent as a counted block of bytes inside a response.", "리터럴의 일부: 응답 안에 바이트 수를 밝히고 보내는 메시지 데이터입니다.");
const unknown = P("", "A line from the server.", "서버가 보낸 줄입니다.");

/**
 * explainLine finds what a server line means. cmd is the command word the
 * line answers ("greeting" for the first line); first says whether it is the
 * first line of that answer.
 */
export function explainLine(proto, line, cmd, first) {
  if (proto === "pop3") {
    for (const [re, p] of pop3Rules) if (re.test(line)) return p;
    if (line.startsWith("+OK")) {
      if (cmd === "greeting") return pop3OK.greeting;
      if (cmd && pop3OK[cmd]) return cmd === "LIST" || cmd === "UIDL" ? pickListing(cmd, line) : pop3OK[cmd];
      return P("RFC 1939 §3", "A positive response: the command succeeded.", "긍정 응답: 명령이 성공했습니다.");
    }
    if (!first && cmd && pop3Data[cmd]) return pop3Data[cmd];
    return unknown;
  }
  for (const [re, p] of imapRules) if (re.test(line)) return p;
  return cmd === "FETCH" || cmd === "UID" ? literalLine : unknown;
}

// LIST n and UIDL n answer one message on the +OK line itself (§5, §7).
function pickListing(cmd, line) {
  if (/^\+OK \d+ \S+/.test(line)) return pop3Data[cmd];
  return pop3OK[cmd];
}

/** What each command does, for the command buttons' descriptions. */
export const commandHelp = {
  pop3: {
    USER: ["USER alice", "RFC 1939 §7", "Give the user name.", "사용자 이름을 보냅니다."],
    PASS: ["PASS wonderland", "RFC 1939 §7", "Give the password (sent in clear).", "비밀번호를 보냅니다(암호화되지 않음)."],
    APOP: ["APOP alice ", "RFC 1939 §7", "Log in with a digest instead of the password.", "비밀번호 대신 다이제스트로 로그인합니다."],
    AUTH: ["AUTH PLAIN", "RFC 5034", "Log in with SASL.", "SASL로 로그인합니다."],
    STLS: ["STLS", "RFC 2595 §4", "Start TLS.", "TLS를 시작합니다."],
    CAPA: ["CAPA", "RFC 2449 §5", "List the server's capabilities.", "서버 기능을 나열합니다."],
    STAT: ["STAT", "RFC 1939 §5", "Count the messages and their size.", "메시지 수와 크기를 셉니다."],
    LIST: ["LIST", "RFC 1939 §5", "List messages with their sizes.", "메시지와 크기를 나열합니다."],
    RETR: ["RETR 1", "RFC 1939 §5", "Download a message.", "메시지를 내려받습니다."],
    DELE: ["DELE 1", "RFC 1939 §5", "Mark a message deleted.", "메시지에 삭제 표시를 합니다."],
    NOOP: ["NOOP", "RFC 1939 §5", "Do nothing, keep the session alive.", "아무것도 하지 않고 세션을 유지합니다."],
    RSET: ["RSET", "RFC 1939 §5", "Undo every deletion mark.", "삭제 표시를 모두 취소합니다."],
    TOP: ["TOP 1 0", "RFC 1939 §7", "Header and first lines of a message.", "메시지 헤더와 앞부분만 받습니다."],
    UIDL: ["UIDL", "RFC 1939 §7", "List the messages' unique ids.", "메시지의 고유 ID를 나열합니다."],
    QUIT: ["QUIT", "RFC 1939 §6", "End the session (and delete the marked messages).", "세션을 끝냅니다(삭제 표시된 메시지를 지웁니다)."],
  },
  imap: {
    CAPABILITY: ["CAPABILITY", "RFC 9051 §6.1.1", "List the server's capabilities.", "서버 기능을 나열합니다."],
    NOOP: ["NOOP", "RFC 9051 §6.1.2", "Do nothing, but hear about changes.", "아무것도 하지 않지만 변경 사항을 전해 받습니다."],
    LOGOUT: ["LOGOUT", "RFC 9051 §6.1.3", "End the session.", "세션을 끝냅니다."],
    ID: ["ID NIL", "RFC 2971", "Exchange identification.", "식별 정보를 주고받습니다."],
    STARTTLS: ["STARTTLS", "RFC 9051 §6.2.1", "Start TLS.", "TLS를 시작합니다."],
    AUTHENTICATE: ["AUTHENTICATE PLAIN", "RFC 9051 §6.2.2", "Log in with SASL.", "SASL로 로그인합니다."],
    LOGIN: ["LOGIN alice wonderland", "RFC 9051 §6.2.3", "Log in with a user name and password.", "사용자 이름과 비밀번호로 로그인합니다."],
    ENABLE: ["ENABLE CONDSTORE", "RFC 9051 §6.3.1", "Turn an extension on.", "확장 기능을 켭니다."],
    SELECT: ["SELECT INBOX", "RFC 9051 §6.3.2", "Open a mailbox to work in it.", "작업할 메일함을 엽니다."],
    EXAMINE: ["EXAMINE INBOX", "RFC 9051 §6.3.3", "Open a mailbox read-only.", "메일함을 읽기 전용으로 엽니다."],
    CREATE: ["CREATE Courses", "RFC 9051 §6.3.4", "Create a mailbox.", "메일함을 만듭니다."],
    DELETE: ["DELETE Courses", "RFC 9051 §6.3.5", "Delete a mailbox.", "메일함을 지웁니다."],
    RENAME: ["RENAME Courses Lectures", "RFC 9051 §6.3.6", "Rename a mailbox.", "메일함 이름을 바꿉니다."],
    SUBSCRIBE: ["SUBSCRIBE Courses", "RFC 9051 §6.3.7", "Subscribe to a mailbox.", "메일함을 구독합니다."],
    UNSUBSCRIBE: ["UNSUBSCRIBE Courses", "RFC 9051 §6.3.8", "Unsubscribe.", "구독을 취소합니다."],
    LIST: ['LIST "" "*"', "RFC 9051 §6.3.9", "List mailboxes.", "메일함 목록을 봅니다."],
    LSUB: ['LSUB "" "*"', "RFC 3501 §6.3.9", "List subscribed mailboxes.", "구독한 메일함 목록을 봅니다."],
    NAMESPACE: ["NAMESPACE", "RFC 9051 §6.3.10", "Show the name spaces.", "이름 공간을 봅니다."],
    STATUS: ["STATUS INBOX (MESSAGES UNSEEN UIDNEXT)", "RFC 9051 §6.3.11", "A mailbox's counters.", "메일함의 카운터를 봅니다."],
    APPEND: ["APPEND INBOX", "RFC 9051 §6.3.12", "Store a message in a mailbox.", "메일함에 메시지를 저장합니다."],
    IDLE: ["IDLE", "RFC 2177", "Wait and hear changes as they happen (end with DONE).", "기다리면서 변경을 바로 전해 받습니다(DONE으로 끝냄)."],
    CHECK: ["CHECK", "RFC 3501 §6.4.1", "A checkpoint.", "체크포인트."],
    CLOSE: ["CLOSE", "RFC 9051 §6.4.1", "Expunge silently and leave the mailbox.", "조용히 지우고 메일함을 나갑니다."],
    UNSELECT: ["UNSELECT", "RFC 9051 §6.4.2", "Leave the mailbox without expunging.", "지우지 않고 메일함을 나갑니다."],
    EXPUNGE: ["EXPUNGE", "RFC 9051 §6.4.3", "Remove the messages flagged \\Deleted.", "\\Deleted 플래그가 붙은 메시지를 지웁니다."],
    SEARCH: ["SEARCH UNSEEN", "RFC 9051 §6.4.4", "Find messages.", "메시지를 찾습니다."],
    FETCH: ["FETCH 1:* (UID FLAGS)", "RFC 9051 §6.4.5", "Read messages' data.", "메시지 데이터를 읽습니다."],
    STORE: ["STORE 1 +FLAGS (\\Seen)", "RFC 9051 §6.4.6", "Change flags.", "플래그를 바꿉니다."],
    COPY: ["COPY 1 Archive", "RFC 9051 §6.4.7", "Copy messages to another mailbox.", "메시지를 다른 메일함에 복사합니다."],
    MOVE: ["MOVE 1 Archive", "RFC 9051 §6.4.8", "Move messages to another mailbox.", "메시지를 다른 메일함으로 옮깁니다."],
    UID: ["UID FETCH 1:* (FLAGS)", "RFC 9051 §6.4.9", "The same commands, by UID.", "같은 명령을 UID로 씁니다."],
    "UID FETCH": ["UID FETCH 1:* (FLAGS)", "RFC 9051 §6.4.9", "FETCH, naming messages by UID.", "메시지를 UID로 지정하는 FETCH입니다."],
    "UID STORE": ["UID STORE 1 +FLAGS (\\Seen)", "RFC 9051 §6.4.9", "STORE, naming messages by UID.", "메시지를 UID로 지정하는 STORE입니다."],
    "UID COPY": ["UID COPY 1 Archive", "RFC 9051 §6.4.9", "COPY, naming messages by UID.", "메시지를 UID로 지정하는 COPY입니다."],
    "UID MOVE": ["UID MOVE 1 Archive", "RFC 9051 §6.4.9", "MOVE, naming messages by UID.", "메시지를 UID로 지정하는 MOVE입니다."],
    "UID SEARCH": ["UID SEARCH UNSEEN", "RFC 9051 §6.4.9", "SEARCH, answering with UIDs.", "결과를 UID로 돌려주는 SEARCH입니다."],
    "UID EXPUNGE": ["UID EXPUNGE 1", "RFC 4315 §2.1", "Expunge only the given UIDs.", "지정한 UID만 지웁니다."],
  },
};
