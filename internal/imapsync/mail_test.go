package imapsync

import (
	"encoding/base64"
	"fmt"
	"strings"
	"time"
)

// testMessage returns message n of a deterministic, realistic corpus:
// plain replies, HTML newsletters with a text part, and mails with a PDF
// attachment, with RFC 2047 names and a Message-ID of msgID(n).
func testMessage(n int) []byte {
	date := time.Date(2024, 3, 1, 9, 0, 0, 0, time.UTC).Add(time.Duration(n) * 17 * time.Minute)
	var b strings.Builder
	fmt.Fprintf(&b, "Return-Path: <sales@acme-corp.example>\r\n")
	fmt.Fprintf(&b, "From: =?UTF-8?Q?J=C3=BCrgen_M=C3=BCller?= <juergen%d@acme-corp.example>\r\n", n%7)
	fmt.Fprintf(&b, "To: Dana Owner <dana@ourco.example>\r\n")
	if n%3 == 0 {
		fmt.Fprintf(&b, "Cc: billing@globex.example\r\n")
	}
	fmt.Fprintf(&b, "Subject: Re: Order %d for Q%d\r\n", 4000+n, n%4+1)
	fmt.Fprintf(&b, "Date: %s\r\n", date.Format(time.RFC1123Z))
	fmt.Fprintf(&b, "Message-ID: %s\r\n", msgID(n))
	if n > 1 {
		fmt.Fprintf(&b, "In-Reply-To: %s\r\nReferences: %s\r\n", msgID(n-1), msgID(n-1))
	}
	b.WriteString("MIME-Version: 1.0\r\n")
	text := fmt.Sprintf("Hi Dana,\r\n\r\nthanks for order %d. It ships on %s.\r\n\r\nBest,\r\nJürgen\r\n",
		4000+n, date.AddDate(0, 0, 3).Format("Monday, 2 January"))
	switch n % 3 {
	case 0:
		b.WriteString("Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n")
		b.WriteString(text)
	case 1:
		b.WriteString("List-Id: <news.globex.example>\r\nList-Unsubscribe: <mailto:unsubscribe@globex.example>\r\n")
		b.WriteString("Content-Type: multipart/alternative; boundary=\"alt\"\r\n\r\n")
		b.WriteString("--alt\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n" + text)
		b.WriteString("--alt\r\nContent-Type: text/html; charset=utf-8\r\n\r\n<html><body><p>")
		b.WriteString(strings.ReplaceAll(text, "\r\n", "<br>\r\n"))
		b.WriteString("</p></body></html>\r\n--alt--\r\n")
	case 2:
		b.WriteString("Content-Type: multipart/mixed; boundary=\"mix\"\r\n\r\n")
		b.WriteString("--mix\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n" + text)
		b.WriteString("--mix\r\nContent-Type: application/pdf; name=\"invoice.pdf\"\r\n")
		b.WriteString("Content-Disposition: attachment; filename=\"invoice.pdf\"\r\nContent-Transfer-Encoding: base64\r\n\r\n")
		pdf := []byte(strings.Repeat(fmt.Sprintf("%%PDF-1.4 invoice %d ", n), 40+n%200))
		enc := base64.StdEncoding.EncodeToString(pdf)
		for len(enc) > 76 {
			b.WriteString(enc[:76] + "\r\n")
			enc = enc[76:]
		}
		b.WriteString(enc + "\r\n--mix--\r\n")
	}
	return []byte(b.String())
}

func msgID(n int) string { return fmt.Sprintf("<order-%d@acme-corp.example>", n) }

// testMessages returns messages from..to, inclusive.
func testMessages(from, to int) [][]byte {
	var out [][]byte
	for n := from; n <= to; n++ {
		out = append(out, testMessage(n))
	}
	return out
}
