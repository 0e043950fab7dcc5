// Package mailgen generates a deterministic, realistic mailbox for tests, benchmarks and the
// demo: threads, companies, free-mail and role senders, newsletters, attachments, legacy
// charsets and RFC 2047 headers. It owns only the synthetic corpus; it never reads mail.
package mailgen
