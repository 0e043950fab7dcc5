package mailgen

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"time"
)

// Options say what mailbox to generate. The same Options always give the same bytes.
type Options struct {
	N     int    // number of messages
	Seed  uint64 // random seed
	Owner string // mailbox owner address; about a third of messages are sent by the owner (default user1@ourco.example)
	// OwnerName is the owner's display name; empty means one guessed from the address.
	OwnerName string
	// Start is the date of the first message (zero: 2026-01-05T09:00:00Z). Dates increase
	// from message to message over about 180 days, whatever N is.
	Start time.Time
	// Colleagues are extra addresses on the owner's domain, besides three built-in ones.
	Colleagues []string
	// Reorder is the fraction of thread messages held back until a reply to them has been
	// delivered (or 64 messages have passed), so replies sometimes arrive before their
	// parents. Zero means 0.03; a negative value keeps generation order.
	Reorder float64
}

// Mail is one generated message.
type Mail struct {
	Folder    string // "INBOX", or "Sent" when the owner sent it
	MessageID string // without angle brackets
	From      string // sender address, the envelope sender in mbox output
	Date      time.Time
	Raw       []byte // RFC 5322 message with CRLF line endings
}

const (
	defaultOwner   = "user1@ourco.example"
	defaultReorder = 0.03
	corpusSpan     = 180 * 24 * time.Hour
	threadWindow   = 40 // replies go to one of the last threadWindow threads
	holdLimit      = 64 // a held-back message is delivered at most this many messages late
	reorderStream  = 0x72656f72646572
	contentStream  = 0x6d61696c67656e
)

var defaultStart = time.Date(2026, 1, 5, 9, 0, 0, 0, time.UTC)

// Generate returns the whole mailbox in delivery order. It panics when opts.Owner or a
// colleague is not an address; use Each to get an error instead.
func Generate(opts Options) []Mail {
	mails := make([]Mail, 0, max(opts.N, 0))
	err := Each(opts, func(m Mail) error {
		mails = append(mails, m)
		return nil
	})
	if err != nil {
		panic(err)
	}
	return mails
}

// Each calls fn with every message of the mailbox Generate would return, in the same
// order, keeping only a bounded window of state. It stops at the first error fn returns.
func Each(opts Options, fn func(Mail) error) error {
	g, err := newGenerator(opts)
	if err != nil {
		return err
	}
	rate := opts.Reorder
	if rate == 0 {
		rate = defaultReorder
	}
	hold := rand.New(rand.NewPCG(opts.Seed, reorderStream))
	var held []heldMail
	for i := range opts.N {
		m := g.next(i)
		if m.threaded && rate > 0 && hold.Float64() < rate {
			held = append(held, heldMail{mail: m.Mail, left: holdLimit})
			continue
		}
		if err := fn(m.Mail); err != nil {
			return err
		}
		if held, err = release(held, m.parents, fn); err != nil {
			return err
		}
	}
	for _, h := range held {
		if err := fn(h.mail); err != nil {
			return err
		}
	}
	return nil
}

type heldMail struct {
	mail Mail
	left int
}

// release delivers the held messages that the message just delivered replies to, and
// those held for holdLimit messages already; it returns the ones still held.
func release(held []heldMail, parents []string, fn func(Mail) error) ([]heldMail, error) {
	kept := held[:0]
	for _, h := range held {
		h.left--
		if h.left > 0 && !slices.Contains(parents, h.mail.MessageID) {
			kept = append(kept, h)
			continue
		}
		if err := fn(h.mail); err != nil {
			return nil, err
		}
	}
	return kept, nil
}

// generator makes messages one at a time; its state is the cast, the clock and the last
// threadWindow threads.
type generator struct {
	r          *rand.Rand
	cast       *cast
	senders    []*person // who starts threads: contacts, colleagues and group addresses
	threads    []*thread
	clock      time.Time
	gap        time.Duration // mean time between two messages
	made       int           // messages made so far
	boundaries int           // multipart boundaries made so far
}

type thread struct {
	subject string // of the first message
	text    string // key of localTexts, "" for English
	charset string
	people  []*person
	msgs    []threadMsg
}

type threadMsg struct {
	id        string
	refs      []string // References of the message, oldest first
	subject   string
	from      *person
	to        []*person
	date      time.Time
	firstLine string
}

// message is what the generator decided about one message before it is serialized.
type message struct {
	index       int
	from        *person
	to, cc, bcc []*person
	replyTo     *person
	undisclosed bool
	subject     string
	text        string // key of localTexts, "" for English
	charset     string
	body        string
	inReplyTo   string
	refs        []string
	newsletter  bool
	autoReply   bool
	thread      *thread // the thread a reply belongs to; nil for a first message
	date        time.Time
	id          string
}

// generated is a message with what Each needs to reorder delivery.
type generated struct {
	Mail
	threaded bool     // part of a thread that may get replies
	parents  []string // Message-IDs it refers to
}

func newGenerator(opts Options) (*generator, error) {
	if opts.Owner == "" {
		opts.Owner = defaultOwner
	}
	if opts.Start.IsZero() {
		opts.Start = defaultStart
	}
	r := rand.New(rand.NewPCG(opts.Seed, contentStream))
	c, err := newCast(r, opts)
	if err != nil {
		return nil, err
	}
	senders := slices.Concat(c.contacts, c.groups)
	return &generator{
		r: r, cast: c, senders: senders,
		clock: opts.Start, gap: corpusSpan / time.Duration(max(opts.N, 1)),
	}, nil
}

func (g *generator) next(i int) generated {
	m := &message{index: i, date: g.tick()}
	r := g.r
	kind := r.Float64()
	switch {
	case len(g.threads) > 0 && r.Float64() < 0.45:
		g.reply(m)
	case kind < 0.08:
		g.newsletter(m)
	case kind < 0.11:
		g.autoReply(m)
	default:
		g.startThread(m)
	}
	if m.from.role == roleGroup && r.Float64() < 0.5 {
		m.replyTo = pick(r, g.cast.contacts)
	}
	g.made++
	m.date = m.date.In(time.FixedZone("", m.from.zone*60))
	m.id = fmt.Sprintf("%016x.%d@%s", r.Uint64(), i, m.from.domain())
	raw := g.serialize(m)

	threaded := !m.newsletter && !m.autoReply
	if threaded {
		g.record(m)
	}
	folder := "INBOX"
	if m.from == g.cast.owner {
		folder = "Sent"
	}
	parents := m.refs
	if m.inReplyTo != "" {
		parents = append(slices.Clip(parents), m.inReplyTo)
	}
	return generated{
		Mail:     Mail{Folder: folder, MessageID: m.id, From: m.from.addr, Date: m.date, Raw: raw},
		threaded: threaded,
		parents:  parents,
	}
}

// tick advances the clock by a random gap around the mean and returns the new date.
func (g *generator) tick() time.Time {
	if g.made == 0 {
		return g.clock // the first message is dated Start exactly
	}
	d := time.Duration(float64(g.gap) * (0.25 + 1.5*g.r.Float64())).Truncate(time.Second)
	g.clock = g.clock.Add(max(d, time.Second))
	return g.clock
}

// startThread makes a first message: from a contact to the owner, or (about a third of
// the time) from the owner to a contact.
func (g *generator) startThread(m *message) {
	r, c := g.r, g.cast
	if r.Float64() < 0.35 {
		m.from, m.to = c.owner, []*person{pick(r, g.senders)}
		if r.Float64() < 0.06 {
			m.bcc = []*person{pick(r, c.colleagues)}
		}
	} else {
		m.from, m.to = pick(r, g.senders), []*person{c.owner}
	}
	for _, p := range sample(r, c.contacts, []int{0, 0, 0, 1, 2, 5}[r.IntN(6)]) {
		if p != m.from && p != m.to[0] {
			m.cc = append(m.cc, p)
		}
	}
	m.charset = m.from.charset
	if m.charset == "us-ascii" {
		m.charset = []string{"us-ascii", "us-ascii", "us-ascii", "us-ascii", "us-ascii",
			"us-ascii", "utf-8", "iso-8859-1"}[r.IntN(8)]
	}
	m.text = textKey(m.from.lang, m.charset)
	m.subject = g.subject(m.text, m.index)
	m.body = g.body(m, m.to[0])
}

// reply makes a reply in one of the recent threads, by one of its participants.
func (g *generator) reply(m *message) {
	r, c := g.r, g.cast
	th := g.threads[r.IntN(len(g.threads))]
	m.thread = th
	m.from = pick(r, th.people)
	var others []*person
	for _, p := range th.people {
		if p != m.from {
			others = append(others, p)
		}
	}
	m.to = others[:min(1, len(others))]
	if len(m.to) == 0 {
		m.to = []*person{c.owner}
	}
	m.cc = slices.Clone(others[min(1, len(others)):min(3, len(others))])
	if m.from != c.owner && !slices.Contains(m.to, c.owner) && !slices.Contains(m.cc, c.owner) {
		m.cc = append(m.cc, c.owner)
	}
	parent := th.msgs[len(th.msgs)-1]
	if r.Float64() < 0.2 {
		parent = th.msgs[r.IntN(len(th.msgs))]
	}
	m.charset, m.text = th.charset, th.text
	m.subject = replySubject(r, m.from.lang, th.subject, parent.subject)
	switch x := r.Float64(); {
	case x < 0.02: // a client that drops threading headers: only the subject links it
	case x < 0.06:
		m.inReplyTo = parent.id
	default:
		m.inReplyTo = parent.id
		m.refs = references(parent)
	}
	m.body = g.body(m, m.to[0])
	if r.Float64() < 0.6 {
		m.body += fmt.Sprintf("\nOn %s, %s <%s> wrote:\n> %s\n",
			parent.date.Format("Mon, 2 Jan 2006 at 15:04"), parent.from.name(), parent.from.addr, parent.firstLine)
	}
}

// references is the References field of a reply to parent: the parent's own references
// and its Message-ID, keeping the first and the last nine when longer than ten.
func references(parent threadMsg) []string {
	refs := append(slices.Clone(parent.refs), parent.id)
	if len(refs) > 10 {
		refs = append(refs[:1], refs[len(refs)-9:]...)
	}
	return refs
}

// replySubject prefixes the thread's subject with the replier's "Re:"; now and then the
// prefix stacks on the parent's subject instead ("AW: Re: …"), as it does in real mail.
func replySubject(r *rand.Rand, lang, base, parent string) string {
	prefix, ok := replyPrefixes[lang]
	if !ok {
		prefix = "Re: "
	}
	if r.Float64() < 0.15 && strings.Count(parent, ":") < 4 {
		return prefix + parent
	}
	if strings.HasPrefix(strings.ToLower(base), strings.ToLower(prefix)) {
		return base
	}
	return prefix + base
}

// newsletter makes a bulk message from a no-reply address with list headers.
func (g *generator) newsletter(m *message) {
	r := g.r
	m.newsletter = true
	m.from = pick(r, g.cast.noreply)
	m.to = []*person{g.cast.owner}
	m.undisclosed = r.Float64() < 0.3
	m.charset = "utf-8"
	subjects := []string{
		m.from.first + " newsletter – " + m.date.Format("January 2006") + " edition",
		"Webinar: what's new at " + m.from.first,
		"Your weekly digest 🚀",
		"Last chance: 20% off annual plans",
	}
	m.subject = pick(r, subjects)
	m.body = fmt.Sprintf("This month: new features, webinars and more.\n\n"+
		"Unsubscribe: https://%s/u?id=%d\n", m.from.domain(), m.index)
}

// autoReply makes an out-of-office answer to a recent message the owner sent, or a stray
// one when the owner sent nothing recently.
func (g *generator) autoReply(m *message) {
	r, c := g.r, g.cast
	m.autoReply = true
	m.charset = "us-ascii"
	m.to = []*person{c.owner}
	subject := ""
	for _, th := range slices.Backward(g.threads) {
		last := th.msgs[len(th.msgs)-1]
		if last.from == c.owner && last.to[0].role == roleContact {
			m.from, subject = last.to[0], last.subject
			m.inReplyTo, m.refs = last.id, references(last)
			break
		}
	}
	if m.from == nil {
		m.from = pick(r, c.contacts)
		subject = g.subject("", m.index)
	}
	m.subject = "Automatic reply: " + subject
	m.body = "I am out of the office until Monday with limited access to e-mail.\n"
}

// record adds m to its thread, or starts a thread with it.
func (g *generator) record(m *message) {
	tm := threadMsg{id: m.id, refs: m.refs, subject: m.subject, from: m.from, to: m.to,
		date: m.date, firstLine: firstLine(m.body)}
	if th := m.thread; th != nil {
		th.msgs = append(th.msgs, tm)
		th.join(m.from)
		return
	}
	th := &thread{subject: m.subject, text: m.text, charset: m.charset, msgs: []threadMsg{tm}}
	th.join(m.from)
	for _, p := range slices.Concat(m.to, m.cc) {
		th.join(p)
	}
	g.threads = append(g.threads, th)
	if len(g.threads) > threadWindow {
		g.threads = slices.Delete(g.threads, 0, 1)
	}
}

func (th *thread) join(p *person) {
	if !slices.Contains(th.people, p) {
		th.people = append(th.people, p)
	}
}

// textKey says which localized text a sender writing in charset cs uses; "" is English.
func textKey(lang, cs string) string {
	if lang != "en" {
		return lang
	}
	if cs == "utf-8" || cs == "iso-8859-1" {
		return "en-" + cs
	}
	return ""
}

func (g *generator) subject(text string, i int) string {
	r := g.r
	if lt, ok := localTexts[text]; ok && r.Float64() < 0.7 {
		return strings.ReplaceAll(lt.subject, "{n}", fmt.Sprint(1000+i))
	}
	return strings.NewReplacer(
		"{q}", fmt.Sprint(1+r.IntN(4)), "{n}", fmt.Sprint(4000+i),
		"{day}", pick(r, weekdays), "{v}", fmt.Sprint(1+r.IntN(5)),
	).Replace(pick(r, topics))
}

// body is the plain-text body with greeting and signature.
func (g *generator) body(m *message, to *person) string {
	base := strings.ReplaceAll(pick(g.r, englishBodies), "{to}", to.first)
	if lt, ok := localTexts[m.text]; ok {
		base = lt.body
	}
	return fmt.Sprintf("%s\n%s\n\n-- \n%s\n%s\n", base, m.from.first, m.from.name(), m.from.addr)
}

func firstLine(s string) string {
	line, _, _ := strings.Cut(s, "\n")
	return strings.TrimSuffix(line, ",")
}

func pick[T any](r *rand.Rand, s []T) T { return s[r.IntN(len(s))] }

// sample returns k distinct elements of s in random order.
func sample[T any](r *rand.Rand, s []T, k int) []T {
	idx := r.Perm(len(s))[:min(k, len(s))]
	out := make([]T, len(idx))
	for i, j := range idx {
		out[i] = s[j]
	}
	return out
}
