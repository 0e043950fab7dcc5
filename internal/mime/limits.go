package mime

import (
	"bytes"
	"errors"
	"fmt"
	"mime"
	"strings"
	"unicode/utf8"
)

// The limits that keep hostile or absurd mail from costing unbounded memory
// or time. docs/rules.md ("Limits") gives the reasoning for each figure.
const (
	// MaxHeaderBytes bounds the header block: a larger one fails the
	// message (ErrLimit). Exchange Online refuses headers over 256 KB;
	// this leaves room for a distribution list of 100,000 short addresses.
	MaxHeaderBytes = 4 << 20
	// MaxParticipants bounds the participants kept, all roles together,
	// in the order from, to, cc, bcc, reply-to; the rest are dropped.
	MaxParticipants = 1000
	// MaxMIMEDepth bounds how deep multiparts may nest: enmime passes
	// every byte through one reader per level, so the cost is depth times
	// size. Deeper mail is stored without its body.
	MaxMIMEDepth = 16
	// MaxBodyBytes bounds the text kept, and separately the HTML kept.
	MaxBodyBytes = 1 << 20
)

// ErrLimit means a message exceeds a limit that leaves nothing worth
// storing; the error wrapping it names the limit.
var ErrLimit = errors.New("message over a limit")

// errHeaderTooLarge is the error for a header block over MaxHeaderBytes.
var errHeaderTooLarge = fmt.Errorf("%w: header block larger than %s", ErrLimit, Size(MaxHeaderBytes))

// Size formats a byte count for the reasons users read ("25 MiB", "700 KiB").
func Size(n int64) string {
	switch {
	case n >= 1<<20:
		return trimZero(fmt.Sprintf("%.1f", float64(n)/(1<<20))) + " MiB"
	case n >= 1<<10:
		return trimZero(fmt.Sprintf("%.1f", float64(n)/(1<<10))) + " KiB"
	}
	return fmt.Sprintf("%d bytes", n)
}

func trimZero(s string) string { return strings.TrimSuffix(s, ".0") }

// limitBody cuts a decoded body to MaxBodyBytes at a character boundary,
// recording the cut in m.Limits; what names the body ("text", "HTML") and
// cut says it was decoded from a prefix (bodyPrefix) and is cut already.
func (m *Message) limitBody(s, what string, cut bool) string {
	if len(s) <= MaxBodyBytes {
		if cut {
			m.Limits = append(m.Limits, fmt.Sprintf("%s cut at %s", what, Size(MaxBodyBytes)))
		}
		return s
	}
	end := MaxBodyBytes
	for end > 0 && !utf8.RuneStart(s[end]) {
		end--
	}
	m.Limits = append(m.Limits, fmt.Sprintf("%s cut at %s", what, Size(MaxBodyBytes)))
	return s[:end]
}

// bodyPrefix returns the start of an undecoded single-part body that is
// enough to fill MaxBodyBytes once decoded (every transfer encoding
// shrinks), cut at a line end so that no encoded sequence is split.
func bodyPrefix(body []byte) []byte {
	const keep = 2 * MaxBodyBytes
	if len(body) <= keep {
		return body
	}
	if nl := bytes.LastIndexByte(body[:keep], '\n'); nl > 0 {
		return body[:nl+1]
	}
	return body[:keep]
}

// mimeDepth returns how deep the multiparts of a body nest, looking no
// deeper than limit+1: a line scan that follows the boundaries declared in
// the part headers, so it costs one pass over the body whatever enmime
// would make of it.
func mimeDepth(contentType string, body []byte, limit int) int {
	var open []string // boundaries of the enclosing multiparts, outermost first
	if b := multipartBoundary(contentType); b != "" {
		open = append(open, b)
	}
	depth := len(open)
	var (
		inHeader bool
		ct       []byte // the Content-Type of the part header being read
		inCT     bool
	)
	for rest := body; len(rest) > 0 && depth <= limit; {
		var line []byte
		line, rest = nextLine(rest)
		if inHeader {
			switch {
			case len(line) == 0:
				inHeader = false
				if b := multipartBoundary(string(ct)); b != "" {
					open = append(open, b)
					depth = max(depth, len(open))
				}
			case line[0] == ' ' || line[0] == '\t':
				if inCT {
					ct = append(ct, line...)
				}
			default:
				inCT = len(line) > 13 && strings.EqualFold(string(line[:13]), "content-type:")
				if inCT {
					ct = append(ct[:0], line[13:]...)
				}
			}
			continue
		}
		if !bytes.HasPrefix(line, []byte("--")) || len(open) == 0 {
			continue
		}
		line = bytes.TrimRight(line[2:], " \t")
		for i := len(open) - 1; i >= 0; i-- {
			if b, ok := bytes.CutPrefix(line, []byte(open[i])); ok {
				if string(b) == "--" {
					open = open[:i] // closing delimiter
				} else if len(b) == 0 {
					open, inHeader, inCT, ct = open[:i+1], true, false, ct[:0]
				} else {
					continue
				}
				break
			}
		}
	}
	return depth
}

// multipartBoundary returns the boundary of a multipart Content-Type, or "".
func multipartBoundary(contentType string) string {
	mt, params, err := mime.ParseMediaType(strings.TrimSpace(contentType))
	if err != nil || !strings.HasPrefix(mt, "multipart/") {
		return ""
	}
	return params["boundary"]
}
