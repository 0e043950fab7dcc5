package mailgen

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"strings"
)

// Hostile mail: messages built to make a parser or a sync spend unbounded
// memory or time (issue 8). Each takes the Message-ID to give the message
// (without angle brackets) and returns it with CRLF line endings.

func hostileHead(id string) string {
	return "Message-ID: <" + id + ">\r\nFrom: Mallory <mallory@example.com>\r\nTo: alice@ourco.example\r\n" +
		"Subject: hostile\r\nDate: Mon, 6 Jan 2025 09:18:00 +0000\r\nMIME-Version: 1.0\r\n"
}

// HugeHeader returns a message whose header block holds at least size
// bytes of ordinary 78-character fields.
func HugeHeader(id string, size int) []byte {
	var b bytes.Buffer
	b.Grow(size + 512)
	b.WriteString(hostileHead(id))
	line := "X-Junk: " + strings.Repeat("j", 68) + "\r\n"
	for b.Len() < size {
		b.WriteString(line)
	}
	b.WriteString("\r\nbody\r\n")
	return b.Bytes()
}

// HugeField returns a message with one header field of size bytes.
func HugeField(id string, size int) []byte {
	return []byte(hostileHead(id) + "X-Junk: " + strings.Repeat("j", size) + "\r\n\r\nbody\r\n")
}

// ManyRecipients returns a message from mallory@example.com to n
// addresses r0@example.com … r(n-1)@example.com, one folded line each,
// with the text "hello everyone".
func ManyRecipients(id string, n int) []byte {
	var b bytes.Buffer
	b.Grow(n * 20)
	b.WriteString("Message-ID: <" + id + ">\r\nFrom: mallory@example.com\r\nSubject: all of you\r\nTo: ")
	for i := range n {
		if i > 0 {
			b.WriteString(",\r\n ")
		}
		fmt.Fprintf(&b, "r%d@example.com", i)
	}
	b.WriteString("\r\n\r\nhello everyone\r\n")
	return b.Bytes()
}

// NestedMultipart returns a message whose multiparts nest depth deep
// around one text/plain part reading "deep text".
func NestedMultipart(id string, depth int) []byte {
	var b strings.Builder
	b.WriteString(hostileHead(id))
	for i := range depth {
		fmt.Fprintf(&b, "Content-Type: multipart/mixed; boundary=\"level%d\"\r\n\r\n--level%d\r\n", i, i)
	}
	b.WriteString("Content-Type: text/plain\r\n\r\ndeep text\r\n")
	for i := depth - 1; i >= 0; i-- {
		fmt.Fprintf(&b, "--level%d--\r\n", i)
	}
	return []byte(b.String())
}

// Base64Text returns a single-part text/plain message whose base64 body
// decodes to size bytes of "hahaha…".
func Base64Text(id string, size int) []byte {
	return []byte(hostileHead(id) + "Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: base64\r\n\r\n" +
		string(base64Lines([]byte(strings.Repeat("ha", size/2)))))
}

// Base64HTML returns a multipart/alternative message: the text "short
// text", and a base64 HTML part that decodes to about size bytes of markup.
func Base64HTML(id string, size int) []byte {
	return []byte(hostileHead(id) + "Content-Type: multipart/alternative; boundary=b\r\n\r\n--b\r\n" +
		"Content-Type: text/plain\r\n\r\nshort text\r\n--b\r\nContent-Type: text/html\r\nContent-Transfer-Encoding: base64\r\n\r\n" +
		string(base64Lines([]byte("<p>"+strings.Repeat("<b>x</b>", size/8)))) + "--b--\r\n")
}

// QPSoftBreaks returns a text/plain quoted-printable message of about size
// bytes made of "=3D" sequences and soft line breaks: it decodes to "=" only.
func QPSoftBreaks(id string, size int) []byte {
	line := strings.Repeat("=3D", 25) + "=\r\n"
	return []byte(hostileHead(id) + "Content-Type: text/plain\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n" +
		strings.Repeat(line, size/len(line)))
}

// QPOneLine returns a multipart message whose quoted-printable text part is
// one line of n "=41" sequences: it decodes to n letters A.
func QPOneLine(id string, n int) []byte {
	return []byte(hostileHead(id) + "Content-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\n" +
		"Content-Type: text/plain\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n" +
		strings.Repeat("=41", n) + "\r\n--b--\r\n")
}

// LargeAttachment returns a message of at least size bytes: the text "see
// the file" and a base64 PDF attachment named big.pdf.
func LargeAttachment(id string, size int) []byte {
	var b bytes.Buffer
	b.Grow(size + 1024)
	b.WriteString(hostileHead(id) + "Content-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\n" +
		"Content-Type: text/plain\r\n\r\nsee the file\r\n--b\r\nContent-Type: application/pdf; name=big.pdf\r\n" +
		"Content-Disposition: attachment; filename=big.pdf\r\nContent-Transfer-Encoding: base64\r\n\r\n")
	line := base64.StdEncoding.EncodeToString(bytes.Repeat([]byte("%PDF-1.7 "), 76*3/4/9+1))[:76] + "\r\n"
	for b.Len() < size {
		b.WriteString(line)
	}
	b.WriteString("--b--\r\n")
	return b.Bytes()
}
