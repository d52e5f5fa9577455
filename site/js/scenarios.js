// The guided scenarios of the lecture. Each step is what one device does
// (open a session, send lines, close) with a sentence saying why. Texts are
// in English and Korean beside the steps they describe.

const BOB = ["USER bob", "PASS builder"];

export const scenarios = {
  "download-delete": {
    title: { en: "POP3 download-and-delete with two devices", ko: "POP3 '내려받고 지우기': 기기 두 대" },
    intro: {
      en: "bob reads mail on a laptop and on a phone, both set to download and delete. Watch where each message ends up.",
      ko: "bob은 노트북과 휴대폰에서 메일을 읽는데, 두 기기 모두 '내려받고 지우기'로 설정되어 있습니다. 메시지가 결국 어디에 남는지 보세요.",
    },
    steps: [
      { open: ["pop3", "laptop"], say: { en: "The laptop opens a POP3 connection. The server greets it: the session is in the AUTHORIZATION state.", ko: "노트북이 POP3 연결을 엽니다. 서버가 인사하고, 세션은 AUTHORIZATION 상태입니다." } },
      { dev: "laptop", send: BOB, say: { en: "It logs in with USER and PASS. The maildrop is locked and the session enters TRANSACTION.", ko: "USER와 PASS로 로그인합니다. 메일드롭이 잠기고 세션은 TRANSACTION 상태가 됩니다." } },
      { dev: "laptop", send: ["LIST"], say: { en: "LIST: bob has three messages.", ko: "LIST: bob에게 메시지가 세 통 있습니다." } },
      { dev: "laptop", send: ["RETR 1", "DELE 1", "RETR 2", "DELE 2", "RETR 3", "DELE 3"], say: { en: "The client downloads each message and marks it deleted. Nothing is removed yet: see the marks in the state panel.", ko: "클라이언트가 메시지를 하나씩 내려받고 삭제 표시를 합니다. 아직 아무것도 지워지지 않았습니다. 상태 패널의 표시를 보세요." } },
      { dev: "laptop", send: ["QUIT"], say: { en: "QUIT: the session enters UPDATE and the server removes the marked messages. The mail now lives only on the laptop.", ko: "QUIT: 세션이 UPDATE 상태가 되고 서버가 표시된 메시지를 지웁니다. 이제 메일은 노트북에만 있습니다." } },
      { deliver: { user: "bob", from: "dana.kim@example.org", subject: "Lab 2 is posted" }, say: { en: "A new message arrives for bob (the lab stores it in the mailbox, as the mail server's delivery would).", ko: "bob에게 새 메시지가 도착합니다(메일 서버가 배달하듯 실습 환경이 메일함에 넣습니다)." } },
      { open: ["pop3", "phone"], say: { en: "Later bob checks mail on the phone.", ko: "나중에 bob이 휴대폰으로 메일을 확인합니다." } },
      { dev: "phone", send: [...BOB, "LIST"], say: { en: "The phone sees only the new message: the three older ones are gone from the server.", ko: "휴대폰에는 새 메시지만 보입니다. 예전 세 통은 서버에서 사라졌습니다." } },
      { dev: "phone", send: ["RETR 1", "DELE 1", "QUIT"], say: { en: "The phone downloads and deletes it in turn.", ko: "휴대폰도 그 메시지를 내려받고 지웁니다." } },
    ],
    done: {
      en: "The mail is scattered: the laptop has the three old messages, the phone only the new one, and the server none. Neither device shows bob all his mail.",
      ko: "메일이 흩어졌습니다. 노트북에는 예전 세 통, 휴대폰에는 새 메시지 한 통만 있고 서버에는 하나도 없습니다. 어느 기기도 bob의 메일을 전부 보여 주지 못합니다.",
    },
  },
  "download-keep": {
    title: { en: "POP3 download-and-keep, without UIDL", ko: "POP3 '내려받고 남겨 두기': UIDL 없이" },
    intro: {
      en: "This time the laptop's client leaves the mail on the server, but it does not use UIDL, so it cannot tell which messages it already has.",
      ko: "이번에는 노트북 클라이언트가 메일을 서버에 남겨 둡니다. 하지만 UIDL을 쓰지 않아서 어떤 메시지를 이미 받았는지 알 수 없습니다.",
    },
    steps: [
      { open: ["pop3", "laptop"], say: { en: "The laptop connects.", ko: "노트북이 접속합니다." } },
      { dev: "laptop", send: [...BOB, "LIST"], say: { en: "It logs in and lists three messages.", ko: "로그인하고 메시지 세 통을 확인합니다." } },
      { dev: "laptop", send: ["RETR 1", "RETR 2", "RETR 3"], say: { en: "It downloads all three and deletes nothing.", ko: "세 통을 모두 내려받고 아무것도 지우지 않습니다." } },
      { dev: "laptop", send: ["QUIT"], say: { en: "QUIT: nothing was marked, so the server keeps every message.", ko: "QUIT: 삭제 표시가 없으니 서버는 메시지를 모두 남겨 둡니다." } },
      { deliver: { user: "bob", from: "dana.kim@example.org", subject: "Lab 2 is posted" }, say: { en: "A new message arrives.", ko: "새 메시지가 도착합니다." } },
      { open: ["pop3", "laptop"], say: { en: "The next time the laptop checks mail, it opens a new session.", ko: "노트북이 다음에 메일을 확인할 때 새 세션을 엽니다." } },
      { dev: "laptop", send: [...BOB, "LIST"], say: { en: "Four messages are listed. Message numbers are only valid within a session, so they cannot tell which ones are new.", ko: "메시지 네 통이 보입니다. 메시지 번호는 한 세션 안에서만 의미가 있어서 어느 것이 새것인지 알려 주지 못합니다." } },
      { dev: "laptop", send: ["RETR 1", "RETR 2", "RETR 3", "RETR 4", "QUIT"], say: { en: "Without UIDL the client downloads everything again.", ko: "UIDL이 없으니 클라이언트는 모두 다시 내려받습니다." } },
    ],
    done: {
      en: "The laptop now holds seven messages: the three old ones twice. A client that keeps mail on the server needs a way to recognise messages.",
      ko: "노트북에는 이제 메시지가 일곱 통 있습니다. 예전 세 통이 두 번씩 들어 있습니다. 메일을 서버에 남겨 두는 클라이언트에게는 메시지를 알아보는 방법이 필요합니다.",
    },
  },
  "download-keep-uidl": {
    title: { en: "POP3 download-and-keep, with UIDL", ko: "POP3 '내려받고 남겨 두기': UIDL 사용" },
    intro: {
      en: "The same client, now using UIDL: each message has a unique id that stays the same across sessions.",
      ko: "같은 클라이언트가 이번에는 UIDL을 씁니다. 메시지마다 세션이 바뀌어도 그대로인 고유 ID가 있습니다.",
    },
    steps: [
      { open: ["pop3", "laptop"], say: { en: "The laptop connects.", ko: "노트북이 접속합니다." } },
      { dev: "laptop", send: [...BOB, "UIDL"], say: { en: "After logging in it asks for the unique ids (UIDL, RFC 1939 §7).", ko: "로그인한 뒤 고유 ID 목록을 요청합니다(UIDL, RFC 1939 §7)." } },
      { dev: "laptop", send: ["RETR 1", "RETR 2", "RETR 3", "QUIT"], say: { en: "It downloads the three messages and remembers their ids.", ko: "세 통을 내려받고 그 ID를 기억합니다." } },
      { deliver: { user: "bob", from: "dana.kim@example.org", subject: "Lab 2 is posted" }, say: { en: "A new message arrives.", ko: "새 메시지가 도착합니다." } },
      { open: ["pop3", "laptop"], say: { en: "The next session.", ko: "다음 세션입니다." } },
      { dev: "laptop", send: [...BOB, "UIDL"], say: { en: "UIDL lists four ids; three are known, one is new.", ko: "UIDL이 ID 네 개를 보여 줍니다. 셋은 아는 것이고 하나가 새것입니다." } },
      { dev: "laptop", send: ["RETR 4", "QUIT"], say: { en: "So the client downloads only message 4.", ko: "그래서 클라이언트는 4번 메시지만 내려받습니다." } },
    ],
    done: {
      en: "Four messages on the laptop, no duplicates, and all of them still on the server for the phone to read.",
      ko: "노트북에 네 통이 중복 없이 있고, 서버에도 모두 남아 있어 휴대폰에서도 읽을 수 있습니다.",
    },
  },
  "imap-state": {
    title: { en: "IMAP keeps state between sessions and devices", ko: "IMAP은 세션과 기기 사이에 상태를 유지한다" },
    intro: {
      en: "alice reads and flags a message on her laptop, then opens her phone. The flags live on the server.",
      ko: "alice가 노트북에서 메시지를 읽고 깃발을 단 뒤 휴대폰을 엽니다. 플래그는 서버에 저장됩니다.",
    },
    steps: [
      { open: ["imap", "laptop"], say: { en: "The laptop opens an IMAP connection. The greeting lists the server's capabilities.", ko: "노트북이 IMAP 연결을 엽니다. 인사말에 서버 기능 목록이 들어 있습니다." } },
      { dev: "laptop", send: ["a1 LOGIN alice wonderland", "a2 SELECT INBOX"], say: { en: "Log in and select INBOX: nine messages, message 4 is the first unseen one.", ko: "로그인하고 INBOX를 선택합니다. 메시지 아홉 통, 4번이 처음으로 읽지 않은 메시지입니다." } },
      { dev: "laptop", send: ["a3 FETCH 4 BODY[]"], say: { en: "Reading message 4 sets its \\Seen flag, on the server.", ko: "4번 메시지를 읽으면 서버에서 \\Seen 플래그가 붙습니다." } },
      { dev: "laptop", send: ["a4 STORE 5 +FLAGS (\\Flagged)", "a5 LOGOUT"], say: { en: "alice flags message 5 to read later, and the laptop logs out.", ko: "alice가 나중에 읽으려고 5번 메시지에 깃발(\\Flagged)을 달고, 노트북은 로그아웃합니다." } },
      { open: ["imap", "phone"], say: { en: "Later, on the phone.", ko: "나중에 휴대폰에서." } },
      { dev: "phone", send: ["a1 LOGIN alice wonderland", "a2 SELECT INBOX"], say: { en: "The phone selects INBOX: the first unseen message is now 5.", ko: "휴대폰이 INBOX를 선택합니다. 이제 처음으로 읽지 않은 메시지는 5번입니다." } },
      { dev: "phone", send: ["a3 FETCH 1:* (UID FLAGS)"], say: { en: "The phone sees message 4 \\Seen and message 5 \\Flagged, as the laptop left them.", ko: "휴대폰에서도 4번은 \\Seen, 5번은 \\Flagged로 보입니다. 노트북이 남긴 그대로입니다." } },
    ],
    done: {
      en: "Both devices show the same nine messages with the same flags: the state is kept on the server, not on a device.",
      ko: "두 기기 모두 같은 아홉 통을 같은 플래그로 보여 줍니다. 상태는 기기가 아니라 서버에 있습니다.",
    },
  },
  "imap-folders": {
    title: { en: "Folders in IMAP", ko: "IMAP의 폴더" },
    intro: {
      en: "alice files a lecture's notes in a new folder on the laptop; the phone sees the folder too.",
      ko: "alice가 노트북에서 강의 노트를 새 폴더에 정리합니다. 휴대폰에서도 그 폴더가 보입니다.",
    },
    steps: [
      { open: ["imap", "laptop"], say: { en: "The laptop connects.", ko: "노트북이 접속합니다." } },
      { dev: "laptop", send: ["a1 LOGIN alice wonderland", 'a2 LIST "" "*"'], say: { en: "LIST shows alice's mailboxes: INBOX, Archive and Sent.", ko: "LIST로 alice의 메일함을 봅니다: INBOX, Archive, Sent." } },
      { dev: "laptop", send: ["a3 CREATE Courses"], say: { en: "CREATE makes a new mailbox on the server.", ko: "CREATE로 서버에 새 메일함을 만듭니다." } },
      { dev: "laptop", send: ["a4 SELECT INBOX", "a5 MOVE 5 Courses"], say: { en: "MOVE files message 5 (the lecture notes) in Courses; COPYUID gives its new UID there.", ko: "MOVE로 5번 메시지(강의 노트)를 Courses로 옮깁니다. COPYUID가 새 UID를 알려 줍니다." } },
      { open: ["imap", "phone"], say: { en: "The phone connects.", ko: "휴대폰이 접속합니다." } },
      { dev: "phone", send: ["a1 LOGIN alice wonderland", 'a2 LIST "" "*"'], say: { en: "The phone lists the mailboxes: Courses is there.", ko: "휴대폰에서 메일함 목록을 보면 Courses가 있습니다." } },
      { dev: "phone", send: ["a3 SELECT Courses", "a4 FETCH 1 (UID FLAGS ENVELOPE)"], say: { en: "And the message is in it.", ko: "그리고 그 안에 메시지가 있습니다." } },
    ],
    done: {
      en: "Folders are on the server: every device sees the same ones with the same messages.",
      ko: "폴더는 서버에 있습니다. 모든 기기가 같은 폴더와 같은 메시지를 봅니다.",
    },
  },
  "imap-expunge": {
    title: { en: "A second session sees an EXPUNGE", ko: "다른 세션이 EXPUNGE를 전해 받다" },
    intro: {
      en: "The laptop and the phone have INBOX open at the same time. The laptop deletes a message.",
      ko: "노트북과 휴대폰이 동시에 INBOX를 열고 있습니다. 노트북이 메시지를 지웁니다.",
    },
    steps: [
      { open: ["imap", "laptop"], say: { en: "The laptop connects…", ko: "노트북이 접속하고…" } },
      { dev: "laptop", send: ["a1 LOGIN alice wonderland", "a2 SELECT INBOX"], say: { en: "…and selects INBOX.", ko: "…INBOX를 선택합니다." } },
      { open: ["imap", "phone"], say: { en: "The phone connects too…", ko: "휴대폰도 접속하고…" } },
      { dev: "phone", send: ["a1 LOGIN alice wonderland", "a2 SELECT INBOX"], say: { en: "…and selects the same INBOX.", ko: "…같은 INBOX를 선택합니다." } },
      { dev: "laptop", send: ["a3 STORE 1 +FLAGS (\\Deleted)"], say: { en: "The laptop flags message 1 \\Deleted.", ko: "노트북이 1번 메시지에 \\Deleted 플래그를 붙입니다." } },
      { dev: "laptop", send: ["a4 EXPUNGE"], say: { en: "EXPUNGE removes it: \"* 1 EXPUNGE\". Every later message's number drops by one.", ko: "EXPUNGE로 지웁니다: \"* 1 EXPUNGE\". 뒤의 메시지 번호가 모두 하나씩 줄어듭니다." } },
      { dev: "phone", send: ["a3 NOOP"], say: { en: "The phone's next command, even a NOOP, brings the news: the server tells it about the EXPUNGE before answering.", ko: "휴대폰이 다음 명령을 보내면(NOOP이라도) 서버가 답하기 전에 EXPUNGE 소식을 먼저 전합니다." } },
      { dev: "phone", send: ["a4 FETCH 1 (UID)"], say: { en: "Message 1 on the phone is now UID 2: sequence numbers moved, UIDs did not.", ko: "휴대폰에서 1번 메시지는 이제 UID 2입니다. 순번은 바뀌었지만 UID는 그대로입니다." } },
    ],
    done: {
      en: "Both sessions agree again: eight messages. The server tells a session about other sessions' changes only between commands, so the phone's numbers never shift under it.",
      ko: "두 세션이 다시 같은 상태입니다: 여덟 통. 서버는 다른 세션의 변경을 명령과 명령 사이에만 알려 주므로, 휴대폰이 모르는 사이에 번호가 바뀌지 않습니다.",
    },
  },
};

export const scenarioOrder = ["download-delete", "download-keep", "download-keep-uidl", "imap-state", "imap-folders", "imap-expunge"];
