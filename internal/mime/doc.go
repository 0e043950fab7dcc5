// Package mime turns a raw RFC 5322 message into the fields mailsync stores:
// participants by role with decoded names, subject, text, HTML (unsanitized),
// attachment metadata, threading headers and the headers policy rules read.
// It performs no I/O and makes no decisions.
//
// Parsing is lenient: the header is read here (tolerating bad folding, raw
// 8-bit bytes and malformed addresses), single-part plain text is decoded
// directly, and everything else goes through enmime, which recovers what it
// can from broken MIME. Only input without a header block is an error. Every
// string returned is valid UTF-8 without NUL bytes, ready for the database.
package mime
