package dnsnet

import "testing"

func TestFramer(t *testing.T) {
	var f framer
	msg := func(b ...byte) []byte { return append([]byte{0, byte(len(b))}, b...) }
	stream := append(append(msg(1, 2, 3), msg()...), msg(9, 9)...)
	var got [][]byte
	for _, c := range stream { // one octet at a time
		got = append(got, f.push([]byte{c})...)
	}
	if len(got) != 3 || string(got[0]) != "\x01\x02\x03" || len(got[1]) != 0 || string(got[2]) != "\x09\x09" || f.pending() != 0 {
		t.Errorf("got %q, %d pending", got, f.pending())
	}
}
