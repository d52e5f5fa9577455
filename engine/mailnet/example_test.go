package mailnet_test

import (
	"fmt"

	"github.com/wirelab/wirelab/engine/mailnet"
	"github.com/wirelab/wirelab/engine/world"
)

// alice's laptop submits a message for bob; mail.example.com relays it to
// example.org's preferred exchanger. The example prints the queue's
// decisions and the relay's SMTP dialogue, as the playground draws them.
func Example() {
	n, err := mailnet.Build(world.Demo(), mailnet.Options{OnEvent: func(e mailnet.Event) {
		switch {
		case e.Kind == mailnet.EventQueue,
			(e.Kind == mailnet.EventCommand || e.Kind == mailnet.EventReply) && e.QueueID != "":
			fmt.Println(e)
		}
	}})
	if err != nil {
		panic(err)
	}
	_, err = n.SubmitSync(mailnet.Submission{
		Host: "laptop", Server: "mail.example.com", User: "alice", Password: "wonderland",
		From: "alice@example.com", To: []string{"bob@example.org"},
		Msg: []byte("Subject: Lab 3\r\n\r\nSee you there.\r\n"),
	})
	if err != nil {
		panic(err)
	}
	if err := n.Settle(); err != nil {
		panic(err)
	}
	// Output:
	// 09:00:00.484 queue   mail.example.com [mail.example.com/2]: queued from <alice@example.com> to <bob@example.org> (173 octets)
	// 09:00:00.484 queue   mail.example.com [mail.example.com/2]: attempt 1 for example.org
	// 09:00:00.664 queue   mail.example.com [mail.example.com/2]: exchangers for example.org: mail.example.org (10), backup-mail.example.org (20)
	// 09:00:00.784 reply   mail.example.org -> mail.example.com [mail.example.com/2]: 220 mail.example.org ESMTP wirelab ready
	// 09:00:00.784 command mail.example.com -> mail.example.org [mail.example.com/2]: EHLO mail.example.com
	// 09:00:00.824 reply   mail.example.org -> mail.example.com [mail.example.com/2]: 250-mail.example.org greets mail.example.com | 250-SIZE 10485760 | 250-8BITMIME | 250-PIPELINING | 250-ENHANCEDSTATUSCODES | 250-SMTPUTF8 | 250 HELP
	// 09:00:00.824 command mail.example.com -> mail.example.org [mail.example.com/2]: MAIL FROM:<alice@example.com>
	// 09:00:00.864 reply   mail.example.org -> mail.example.com [mail.example.com/2]: 250 2.1.0 Ok
	// 09:00:00.864 command mail.example.com -> mail.example.org [mail.example.com/2]: RCPT TO:<bob@example.org>
	// 09:00:00.904 reply   mail.example.org -> mail.example.com [mail.example.com/2]: 250 2.1.5 Ok
	// 09:00:00.904 command mail.example.com -> mail.example.org [mail.example.com/2]: DATA
	// 09:00:00.944 reply   mail.example.org -> mail.example.com [mail.example.com/2]: 354 End data with <CR><LF>.<CR><LF>
	// 09:00:00.944 command mail.example.com -> mail.example.org [mail.example.com/2]: (message text, 176 octets)
	// 09:00:00.984 reply   mail.example.org -> mail.example.com [mail.example.com/2]: 250 2.0.0 Ok: queued as 30000
	// 09:00:00.984 command mail.example.com -> mail.example.org [mail.example.com/2]: QUIT
	// 09:00:01.024 reply   mail.example.org -> mail.example.com [mail.example.com/2]: 221 2.0.0 mail.example.org Service closing transmission channel
	// 09:00:01.024 queue   mail.example.com [mail.example.com/2]: delivered to <bob@example.org> via mail.example.org: 250 2.0.0 Ok: queued as 30000
}
