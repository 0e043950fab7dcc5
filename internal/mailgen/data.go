package mailgen

import "encoding/base64"

// companyDomains are the customers' domains; the first four also have role addresses
// (support@, sales@ …) and the next four send notifications and newsletters.
var companyDomains = []string{
	"acme-corp.com", "globex.io", "initech.co.uk", "umbrella-gmbh.de", "hooli.com",
	"stark-industries.com", "wayne-enterprises.net", "soylent.fr", "tyrell.jp",
	"cyberdyne.ru", "wonka-sweets.pl", "vandelay.com.br",
}

var roleLocalparts = []string{"support", "sales", "billing", "info", "team", "hr", "contact"}

var noreplyLocalparts = []string{"noreply", "no-reply", "notifications", "newsletter"}

// contactSpec describes one external correspondent. charset is the one their mail client
// prefers for headers and bodies; asciiFirst and asciiLast build the address.
type contactSpec struct {
	first, last           string
	asciiFirst, asciiLast string
	charset               string
	lang                  string
	domain                string
	free                  bool // domain is a free-mail provider: the local part gets digits
	zone                  int  // UTC offset in minutes
}

var contacts = []contactSpec{
	{"John", "Smith", "john", "smith", "us-ascii", "en", "acme-corp.com", false, -300},
	{"Mary", "Johnson", "mary", "johnson", "us-ascii", "en", "globex.io", false, -480},
	{"Jürgen", "Müller", "juergen", "mueller", "iso-8859-1", "de", "umbrella-gmbh.de", false, 60},
	{"Zoë", "Lefèvre", "zoe", "lefevre", "windows-1252", "fr", "soylent.fr", false, 60},
	{"François", "Dupont", "francois", "dupont", "iso-8859-1", "fr", "orange.fr", true, 60},
	{"Łukasz", "Wiśniewski", "lukasz", "wisniewski", "iso-8859-2", "pl", "wonka-sweets.pl", false, 60},
	{"Дмитрий", "Иванов", "dmitry", "ivanov", "koi8-r", "ru", "cyberdyne.ru", false, 180},
	{"Ольга", "Смирнова", "olga", "smirnova", "koi8-r", "ru", "yandex.ru", true, 180},
	{"太郎", "山田", "taro", "yamada", "iso-2022-jp", "ja", "tyrell.jp", false, 540},
	{"花子", "佐藤", "hanako", "sato", "iso-2022-jp", "ja", "icloud.com", true, 540},
	{"José", "García", "jose", "garcia", "utf-8", "es", "vandelay.com.br", false, -180},
	{"Søren", "Kierkegård", "soren", "kierkegard", "utf-8", "nordic", "hooli.com", false, 60},
	{"Priya", "Patel", "priya", "patel", "us-ascii", "en", "gmail.com", true, 330},
	{"Wei", "Zhang", "wei", "zhang", "us-ascii", "en", "stark-industries.com", false, -480},
	{"Ana", "Souza", "ana", "souza", "utf-8", "pt", "vandelay.com.br", false, -180},
	{"Ahmed", "Hassan", "ahmed", "hassan", "us-ascii", "en", "outlook.com", true, 120},
	{"Emily", "O'Brien", "emily", "obrien", "us-ascii", "en", "hooli.com", false, -480},
	{"Lars", "Øvergård", "lars", "overgard", "utf-8", "nordic", "proton.me", true, 60},
	{"Chloé", "Martin", "chloe", "martin", "windows-1252", "fr", "soylent.fr", false, 60},
	{"Kenji", "Tanaka", "kenji", "tanaka", "us-ascii", "en", "tyrell.jp", false, 540},
	{"Hans", "Schmidt", "hans", "schmidt", "iso-8859-1", "de", "gmx.de", true, 60},
	{"Olivia", "Brown", "olivia", "brown", "us-ascii", "en", "initech.co.uk", false, 0},
	{"Peter", "Gibbons", "peter", "gibbons", "us-ascii", "en", "initech.co.uk", false, 0},
	{"Lucius", "Fox", "lucius", "fox", "us-ascii", "en", "wayne-enterprises.net", false, -300},
	{"David", "Kim", "david", "kim", "us-ascii", "en", "yahoo.com", true, -480},
	{"Grace", "Walker", "grace", "walker", "us-ascii", "en", "hotmail.co.uk", true, 0},
	{"Anna", "Kowalska", "anna", "kowalska", "iso-8859-2", "pl", "web.de", true, 60},
	{"Сергей", "Петров", "sergey", "petrov", "utf-8", "ru", "mail.ru", true, 180},
	{"Thomas", "Becker", "thomas", "becker", "iso-8859-1", "de", "googlemail.com", true, 60},
	{"Sofia", "Rossi", "sofia", "rossi", "us-ascii", "en", "acme-corp.com", false, 60},
}

// colleagueNames are the owner's colleagues, on the owner's domain.
var colleagueNames = [][2]string{{"Maria", "Keller"}, {"Tom", "Weber"}, {"Sam", "Rivera"}}

// replyPrefixes are the "Re:" that each language's mail clients put before a subject.
var replyPrefixes = map[string]string{
	"de": "AW: ", "fr": "RE : ", "pl": "Odp: ", "ru": "RE: ", "nordic": "SV: ",
	"es": "RE: ", "pt": "RES: ",
}

// topics are English subjects; {n}, {q}, {v} and {day} are filled in.
var topics = []string{
	"Quote for Q{q} renewal", "Invoice #{n} overdue", "Meeting next {day}?",
	"Contract draft v{v}", "Support ticket {n}: login fails", "Intro: Acme <> Globex",
	"Product demo follow-up", "Pricing question", "Re-scheduling our call",
	"Onboarding checklist", "Feedback on the proposal", "Order {n} shipped late",
}

// localText is a subject and body in one language, meant for the charsets that language's
// correspondents use. {n} is filled in.
type localText struct{ subject, body string }

var localTexts = map[string]localText{
	"de": {"Angebot für Größenänderung - Rückfrage {n}",
		"Sehr geehrte Damen und Herren,\n\nvielen Dank für Ihre Anfrage. Die Größe und der Preis " +
			"(1.200 EUR, 19 % MwSt.) sind beigefügt; Zahlung binnen 14 Tagen.\n\nMit freundlichen Grüßen"},
	"fr": {"Résumé de la réunion “budget” – à valider ({n})",
		"Bonjour,\n\nVoici le résumé de la réunion — merci de valider le “budget” de 1 200 € " +
			"avant vendredi.\n\nCordialement"},
	"pl": {"Zamówienie nr {n} - potwierdzenie dostawy",
		"Dzień dobry,\n\nPotwierdzamy przyjęcie zamówienia. Dostawa nastąpi w przyszłym " +
			"tygodniu.\n\nZ poważaniem"},
	"ru": {"Счёт на оплату №{n}",
		"Добрый день!\n\nНаправляем счёт на оплату. Просим подтвердить получение.\n\nС уважением"},
	"ja": {"お見積もりのご依頼（{n}）",
		"いつもお世話になっております。\n\nお見積もりをお送りいたします。ご確認ください。\n\nよろしくお願いいたします。"},
	"es": {"Reunión de seguimiento — presupuesto {n}",
		"Hola:\n\nAdjunto el presupuesto revisado. ¿Podemos hablar el jueves? Añadí la opción " +
			"de pago en euros.\n\nUn saludo"},
	"pt": {"Proposta comercial nº {n} — revisão",
		"Olá,\n\nSegue a proposta revisada com as condições de pagamento. Aguardo sua opinião " +
			"até sexta-feira.\n\nAtenciosamente"},
	"nordic": {"Møde om årsbudget {n}",
		"Hej,\n\nTak for mødet i går. Jeg sender de opdaterede tal før fredag. Kør bare på " +
			"med planen.\n\nMed venlig hilsen"},
	"en-utf-8": {"Café ☕ planning — {n} 🚀",
		"Hi all,\n\nQuick plan for the café meetup ☕ — bring ideas 🚀. Ñandú, naïve, " +
			"Ærøskøbing.\n\nCheers"},
	"en-iso-8859-1": {"Café order #{n} - déjà vu?",
		"Hi,\n\nThe café order (£120, ½ paid) arrived again, déjà vu. Could you check the " +
			"invoice?\n\nThanks"},
}

// englishBodies are plain business bodies; {to} is the first recipient's first name.
// One starts a line with "From " so mbox quoting is exercised.
var englishBodies = []string{
	"Hi {to},\n\nFollowing up on our conversation. Could you send the updated numbers by end " +
		"of week? Happy to jump on a call.\n\nBest,",
	"Hi {to},\n\nThanks for the quick reply. I have attached the figures we discussed.\n" +
		"From our side the timeline works; legal still needs to review clause 7.\n\nRegards,",
	"Hello {to},\n\nJust checking in on the status of the order. The customer asked twice " +
		"this week and I would like to give them a date.\n\nThanks,",
	"{to},\n\nSee below. Can we move the meeting to Thursday 3pm?\n\n>From the minutes: " +
		"\"budget approved, pending sign-off\"\n\nCheers,",
}

var weekdays = []string{"Monday", "Tuesday", "Friday"}

// attachment payloads: a 1x1 PNG and a small but well-formed PDF.
var (
	pngPixel = mustBase64("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==")
	pdfStub  = []byte("%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n" +
		"2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n")
)

var pdfNames = []string{"quote.pdf", "Angebot_Größe.pdf", "счёт.pdf"}

func mustBase64(s string) []byte {
	b, err := base64.StdEncoding.DecodeString(s)
	if err != nil {
		panic(err)
	}
	return b
}
