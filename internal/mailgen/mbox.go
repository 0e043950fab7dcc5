package mailgen

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"time"
)

// mboxDate is the asctime layout of an mbox "From " line.
const mboxDate = "Mon Jan _2 15:04:05 2006"

// WriteMbox writes mails as an mboxrd file: LF line endings, a "From " line before each
// message, and one more ">" before every line that matches ^>*From .
func WriteMbox(w io.Writer, mails []Mail) error {
	bw := bufio.NewWriter(w)
	for _, m := range mails {
		if err := writeMboxMessage(bw, m); err != nil {
			return fmt.Errorf("write mbox: %w", err)
		}
	}
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("write mbox: %w", err)
	}
	return nil
}

// WriteMboxEach generates the mailbox opts describes straight into w as WriteMbox would
// write it, without holding it in memory. It returns how many messages it wrote.
func WriteMboxEach(w io.Writer, opts Options) (int, error) {
	bw := bufio.NewWriter(w)
	n := 0
	err := Each(opts, func(m Mail) error {
		if err := writeMboxMessage(bw, m); err != nil {
			return fmt.Errorf("write mbox: %w", err)
		}
		n++
		return nil
	})
	if err != nil {
		return 0, err
	}
	if err := bw.Flush(); err != nil {
		return 0, fmt.Errorf("write mbox: %w", err)
	}
	return n, nil
}

// writeMboxMessage writes one message. A bufio.Writer's errors are sticky, so the last
// write reports any failure of the earlier ones.
func writeMboxMessage(w *bufio.Writer, m Mail) error {
	from := m.From
	if from == "" {
		from = "MAILER-DAEMON"
	}
	date := m.Date
	if date.IsZero() {
		date = time.Unix(0, 0)
	}
	fmt.Fprintf(w, "From %s %s\n", from, date.UTC().Format(mboxDate))
	raw := m.Raw
	for len(raw) > 0 {
		line, rest, _ := bytes.Cut(raw, []byte("\n"))
		raw = rest
		line = bytes.TrimSuffix(line, []byte("\r"))
		if bytes.HasPrefix(bytes.TrimLeft(line, ">"), []byte("From ")) {
			w.WriteByte('>')
		}
		w.Write(line)
		w.WriteByte('\n')
	}
	return w.WriteByte('\n')
}
