package ingest

import (
	"bufio"
	"bytes"
	"strings"
)

// rawMessageID finds the Message-ID of a message the parser gave up on,
// by a plain scan of its first lines, so that `mailsync why` can answer
// for failed messages too. It returns "" when there is none.
func rawMessageID(raw []byte) string {
	const maxScan = 64 << 10
	sc := bufio.NewScanner(bytes.NewReader(raw[:min(len(raw), maxScan)]))
	sc.Buffer(make([]byte, 0, 4096), maxScan)
	for sc.Scan() {
		name, value, ok := strings.Cut(sc.Text(), ":")
		if !ok || !strings.EqualFold(strings.TrimSpace(name), "Message-ID") {
			continue
		}
		value = strings.TrimSpace(value)
		if start := strings.IndexByte(value, '<'); start >= 0 {
			if end := strings.IndexByte(value[start:], '>'); end > 0 {
				value = value[start+1 : start+end]
			}
		}
		if value != "" && len(value) <= 512 && !strings.ContainsAny(value, " \t<>") {
			return value
		}
	}
	return ""
}
