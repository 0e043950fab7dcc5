package web

import (
	"net/http"
	"sync"

	"github.com/mailsync/mailsync/internal/store"
)

// The OpenAPI 3 document of /api/v1. It is written by hand, next to the
// routes; TestOpenAPIMatchesRoutes fails when a route is missing from it
// or it documents a route that does not exist.

type obj = map[string]any

func ref(name string) obj { return obj{"$ref": "#/components/schemas/" + name} }

func arrayOf(item obj) obj { return obj{"type": "array", "items": item} }

func str() obj { return obj{"type": "string"} }

func nullableStr(desc string) obj {
	return obj{"type": "string", "nullable": true, "description": desc}
}

func jsonBody(schema obj) obj {
	return obj{"content": obj{"application/json": obj{"schema": schema}}}
}

func reply(desc string, schema obj) obj {
	r := jsonBody(schema)
	r["description"] = desc
	return r
}

var errReply = reply("error", ref("Error"))

// op describes one operation; errs lists its error statuses.
func op(summary string, ok string, okReply obj, errs ...string) obj {
	responses := obj{ok: okReply, "401": errReply}
	for _, e := range errs {
		responses[e] = errReply
	}
	return obj{"summary": summary, "responses": responses}
}

func withBody(o obj, schema obj) obj {
	o["requestBody"] = obj{"required": true, "content": obj{"application/json": obj{"schema": schema}}}
	return o
}

func withParams(o obj, params ...obj) obj {
	o["parameters"] = params
	return o
}

func pathParam(name, desc string) obj {
	return obj{"name": name, "in": "path", "required": true, "schema": str(), "description": desc}
}

func queryParam(name, typ, desc string) obj {
	return obj{"name": name, "in": "query", "required": false, "schema": obj{"type": typ}, "description": desc}
}

var noContent = obj{"description": "done"}

var (
	idParam            = pathParam("id", "the id; an id of another workspace answers 404 like an unknown one")
	pageParams         = []obj{queryParam("limit", "integer", "page size, 1..1000 (default 50)"), queryParam("offset", "integer", "rows to skip (default 0)")}
	peopleSearchParam  = queryParam("q", "string", "only those whose full name (\"First Last\"), last name or one of whose addresses starts with this text, case-insensitive")
	companySearchParam = queryParam("q", "string", "only those whose name or domain contains this text")
)

// repairOp answers 202 when a repair was queued and 200 when there was
// nothing to repair, both with the comparison.
func repairOp() obj {
	o := op("Compare, and when they differ queue the sync that repairs the mailbox (its owner or an admin)",
		"202", reply("the comparison that prompted the repair", ref("Reconciliation")), "403", "404", "502")
	o["responses"].(obj)["200"] = reply("nothing to repair: the comparison", ref("Reconciliation"))
	return o
}

func threadsOp(of string) obj {
	return withParams(op("The Emails tab of a "+of+": threads newest first, redacted for the caller",
		"200", reply("a page of threads", ref("ThreadPage")), "400", "404"), append([]obj{idParam}, pageParams...)...)
}

func openAPIDocument() obj {
	paths := obj{
		"/people": obj{
			"get":  withParams(op("List people", "200", reply("people", arrayOf(ref("Person")))), peopleSearchParam),
			"post": withBody(op("Create a person (lifts a deletion's suppression of its addresses)", "201", reply("the new person", ref("Person")), "400", "409"), ref("NewPerson")),
		},
		"/people/{id}": obj{
			"get":    withParams(op("Get a person", "200", reply("the person", ref("Person")), "404"), idParam),
			"delete": withParams(op("Delete a person; sync never creates it again", "204", noContent, "404"), idParam),
		},
		"/people/{id}/threads": obj{"get": threadsOp("person")},
		"/companies": obj{
			"get": withParams(op("List companies", "200", reply("companies", arrayOf(ref("Company")))), companySearchParam),
		},
		"/companies/{id}": obj{
			"get":    withParams(op("Get a company", "200", reply("the company", ref("Company")), "404"), idParam),
			"delete": withParams(op("Delete a company; sync never creates it again", "204", noContent, "404"), idParam),
		},
		"/companies/{id}/threads": obj{"get": threadsOp("company")},
		"/threads/{id}": obj{
			"get": withParams(op("Open a thread: messages oldest first, each redacted for the caller", "200",
				reply("the thread", ref("Thread")), "404"), idParam),
		},
		"/messages/{id}": obj{
			"get": withParams(op("Get a message with its sanitized HTML body and, for the caller's own mailboxes, why it was imported",
				"200", reply("the message", ref("MessageDetail")), "404"), idParam),
		},
		"/search": obj{
			"get": withParams(op("Search the messages the caller may see: every word must be a whole word of a "+
				"participant's name or address, or of the subject or body where the caller sees them (a withheld field never "+
				"matches, counts or ranks); participant matches first, then subject, then body, newest first within each, "+
				"among the 1,000 newest matches",
				"200", reply("a page of messages, redacted for the caller", ref("SearchPage")), "400"),
				append([]obj{{"name": "q", "in": "query", "required": true, "schema": str(), "description": "the words, case-insensitive"}}, pageParams...)...),
		},
		"/messages/{id}/attachments/{index}": obj{
			"get": withParams(op("Download an attachment's exact bytes (Content-Disposition: attachment, nosniff; "+
				"types that a browser could run are served as application/octet-stream). "+
				"Unknown, and withheld below the everything level, alike answer 404", "200",
				obj{"description": "the bytes", "content": obj{"application/octet-stream": obj{"schema": obj{"type": "string", "format": "binary"}}}},
				"404"), idParam, pathParam("index", "the attachment's index, from 0 in MIME order")),
		},
		"/threads/{id}/access-requests": obj{
			"post": withParams(withBody(op("Ask the owners of the mailboxes holding a withheld thread to open it to the caller "+
				"(asking again while a request is pending returns that request; a caller who already reads the thread in full gets 409)",
				"201", reply("the request", ref("AccessRequest")), "400", "404", "409"), ref("NewAccessRequest")), idParam),
		},
		"/access-requests": obj{
			"get": op("List the requests the caller made and those on threads the caller's mailboxes hold (which the caller decides), newest first",
				"200", reply("requests", arrayOf(ref("AccessRequest")))),
		},
		"/access-requests/{id}/grant": obj{
			"post": withParams(op("Grant a pending request: the thread shows at everything to its requester only, later messages included, "+
				"until revoked (owners of a mailbox holding the thread only: 403 otherwise)",
				"200", reply("the request", ref("AccessRequest")), "403", "404", "409"), idParam),
		},
		"/access-requests/{id}/deny": obj{
			"post": withParams(op("Deny a pending request (owners of a mailbox holding the thread only)",
				"200", reply("the request", ref("AccessRequest")), "403", "404", "409"), idParam),
		},
		"/access-requests/{id}/revoke": obj{
			"post": withParams(op("Revoke a granted request: the requester's level is again what the sharing levels give "+
				"(owners of a mailbox holding the thread only)", "200", reply("the request", ref("AccessRequest")), "403", "404", "409"), idParam),
		},
		"/accounts": obj{
			"get": op("List the workspace's mailboxes with status and counts", "200", reply("accounts", arrayOf(ref("Account")))),
			"post": withBody(op("Connect an IMAP mailbox of the caller; the login is checked first and the import starts at once",
				"201", reply("the new account", ref("Account")), "400", "409", "422"), ref("NewAccount")),
		},
		"/accounts/preview": obj{
			"post": withBody(op("Preview an IMAP mailbox before connecting it: read its newest `limit` messages (default 500) "+
				"with a new mailbox's settings and the workspace's rules, and tell what would be imported, skipped (by rule) and "+
				"created as people and companies. Stores nothing, creates nothing, emits no event",
				"200", reply("the preview", ref("Preview")), "400", "422"),
				obj{"allOf": []obj{ref("NewAccount"), obj{"type": "object", "properties": obj{"limit": obj{"type": "integer"}}}}}),
		},
		"/accounts/{id}": obj{
			"get": withParams(op("Get a mailbox", "200", reply("the account", ref("Account")), "404"), idParam),
			"patch": withBody(withParams(op("Change a mailbox's settings: sharing level, folders, exclusions, auto-creation "+
				"(its owner only: anyone else in the workspace, admins included, gets 403)", "200",
				reply("the account", ref("Account")), "400", "403", "404"), idParam), ref("AccountSettings")),
			"delete": withParams(op("Remove a mailbox and the messages only it held (its owner or an admin); contacts stay",
				"204", noContent, "403", "404"), idParam),
		},
		"/accounts/{id}/messages": obj{
			"post": func() obj {
				o := withParams(op("Send (or reply) from a mailbox, its owner only (403 for anyone else). The message is stored at once "+
					"(direction outgoing, in its thread), a copy kept in the mailbox's Sent folder, and the next sync stores it no "+
					"second time. A failed send (502) says why and stores nothing. With an Idempotency-Key header, a retried request "+
					"gets the first one's result and sends nothing again (409 while the first is still sending).",
					"201", reply("the stored message", ref("SendResult")), "400", "403", "404", "409", "502"), idParam,
					obj{"name": "Idempotency-Key", "in": "header", "required": false, "schema": str(),
						"description": "any unique string per message: a retry with the same key never sends twice"})
				o["requestBody"] = obj{"required": true, "content": obj{
					"application/json": obj{"schema": ref("SendMessage")},
					"multipart/form-data": obj{"schema": obj{"type": "object", "properties": obj{
						"to": arrayOf(str()), "cc": arrayOf(str()), "bcc": arrayOf(str()), "subject": str(), "text": str(), "html": str(),
						"replyTo": str(), "attachment": arrayOf(obj{"type": "string", "format": "binary"})}}}}}
				return o
			}(),
		},
		"/accounts/{id}/pause": obj{
			"post": withParams(op("Pause a mailbox's sync (its owner or an admin): the scheduler, push and `sync --once` "+
				"leave it alone and its status is paused until it is resumed; pausing a paused mailbox changes nothing",
				"200", reply("the account", ref("Account")), "403", "404"), idParam),
		},
		"/accounts/{id}/resume": obj{
			"post": withParams(op("Resume a paused mailbox's sync (its owner or an admin) and queue a sync at once",
				"200", reply("the account", ref("Account")), "403", "404"), idParam),
		},
		"/audit": obj{
			"get": withParams(op("The workspace's audit log, newest first (admins only): every change to mailboxes, "+
				"sharing, folders, exclusions, auto-creation, blocklists, workspace settings, members, passwords and API tokens. "+
				"Never holds mail content, passwords or tokens",
				"200", reply("a page of the audit log", ref("AuditPage")), "400", "403"), pageParams...),
		},
		"/events": obj{
			"get": withParams(op("The workspace's event feed, oldest first: every event after the cursor `after` "+
				"(empty: from the oldest kept; events are kept at least 30 days). Read on from `next`; an event committed "+
				"later always comes after `next`, so following the feed never skips one. Events carry ids and metadata, never a body",
				"200", reply("a page of the feed", ref("EventFeed")), "400"),
				queryParam("after", "string", "the id of the last event read (empty: from the start of the retention)"),
				queryParam("limit", "integer", "events per page, 1 to 1000 (default 100)")),
		},
		"/webhooks": obj{
			"get": op("The workspace's webhooks with their delivery status (admins only): active, failing (lastError, "+
				"failingSince, nextAttempt) or disabled (disabledReason)", "200", reply("webhooks", arrayOf(ref("Webhook"))), "403"),
			"post": withBody(op("Register a receiver (admins only). Every event of its types (none: all) is POSTed to url, "+
				"in order, at least once, with headers Mailsync-Event-Id and Mailsync-Signature: t=UNIX_SECONDS,v1=HEX where "+
				"HEX = HMAC-SHA256(key = secret, message = t + \".\" + raw body); a receiver that fails (non-2xx or no answer in 10 s) "+
				"is retried with exponential backoff for 72 hours, then disabled. URLs resolving to loopback, link-local, private "+
				"or metadata addresses are refused unless the operator allows private hosts",
				"201", reply("the webhook's id and signing secret (shown once)", object([]string{"id", "secret"}, obj{"id": str(), "secret": str()})),
				"400", "403"),
				object([]string{"url"}, obj{"url": str(), "types": arrayOf(obj{"type": "string", "enum": store.EventTypes})})),
		},
		"/webhooks/{id}": obj{
			"delete": withParams(op("Remove a webhook (admins only); deliveries stop", "204", noContent, "403", "404"), idParam),
		},
		"/accounts/{id}/reconcile": obj{
			"get": withParams(op("Compare a mailbox with its server, folder by folder (its owner or an admin)", "200",
				reply("the comparison", ref("Reconciliation")), "403", "404", "502"), idParam),
			"post": withParams(repairOp(), idParam),
		},
		"/blocklist": obj{
			"get": op("The caller's blocklist", "200", reply("entries", arrayOf(str()))),
			"post": withBody(op("Block an address or @domain for the caller's mailboxes", "201",
				reply("the normalized entry", obj{"type": "object", "properties": obj{"entry": str()}}), "400"),
				obj{"type": "object", "required": []string{"entry"}, "properties": obj{"entry": str()}}),
		},
		"/blocklist/{entry}": obj{
			"delete": withParams(op("Unblock an entry", "204", noContent, "400", "404"),
				pathParam("entry", "the address or @domain, URL-encoded")),
		},
		"/workspace": obj{
			"get": op("The caller's workspace and its settings", "200", reply("the workspace", ref("Workspace"))),
			"patch": withBody(op("Change the workspace's settings (admins only). Import internal mail acts on past mail: "+
				"off removes the internal mail imported, on queues the syncs that import what was skipped",
				"200", reply("the workspace", ref("Workspace")), "400", "403"), ref("WorkspaceSettings")),
		},
	}
	return obj{
		"openapi": "3.0.3",
		"info": obj{"title": "mailsync API", "version": "1",
			"description": "Email sync for CRMs. Every route but this document needs `Authorization: Bearer TOKEN` " +
				"(`mailsync token create`) and sees only the token's workspace. Fields the caller may not see at a " +
				"message's sharing level are null. Errors are `{\"error\": \"...\"}`."},
		"servers":    []obj{{"url": "/api/v1"}},
		"security":   []obj{{"bearer": []string{}}},
		"paths":      paths,
		"components": obj{"securitySchemes": obj{"bearer": obj{"type": "http", "scheme": "bearer"}}, "schemas": schemas()},
	}
}

func object(required []string, props obj) obj {
	o := obj{"type": "object", "properties": props}
	if len(required) > 0 {
		o["required"] = required
	}
	return o
}

func schemas() obj {
	level := obj{"type": "string", "enum": []string{"metadata", "subject", "everything"},
		"description": "the level the caller sees: metadata (participants and dates), subject (plus subject), everything (plus body)"}
	address := object([]string{"email", "name"}, obj{"email": str(), "name": str()})
	participant := object([]string{"role", "email", "name", "personId", "memberId"}, obj{
		"role": obj{"type": "string", "enum": []string{"from", "to", "cc", "bcc", "reply-to"}}, "email": str(), "name": str(),
		"personId": nullableStr("the linked person"), "memberId": nullableStr("the member owning the address")})
	message := obj{
		"id": str(), "messageId": obj{"type": "string", "description": "RFC 5322 Message-ID without angle brackets"},
		"threadId": str(), "subject": nullableStr("null below the subject level"),
		"text":       nullableStr("plain text body; null below the everything level"),
		"receivedAt": obj{"type": "string", "format": "date-time"},
		"direction":  obj{"type": "string", "enum": []string{"incoming", "outgoing"}},
		"visibility": level, "participants": arrayOf(ref("Participant")),
		"attachments": obj{"type": "array", "nullable": true, "items": ref("Attachment"),
			"description": "in MIME order; null below the everything level"},
	}
	messageRequired := []string{"id", "messageId", "threadId", "subject", "text", "receivedAt", "direction", "visibility", "participants", "attachments"}
	detail := obj{}
	for k, v := range message {
		detail[k] = v
	}
	detail["html"] = nullableStr("sanitized HTML body (remote images moved to data-src); null when there is none or it is withheld")
	detail["why"] = arrayOf(ref("Decision"))
	counts := object([]string{"listed", "imported", "skipped", "failed"}, obj{
		"listed": obj{"type": "integer"}, "imported": obj{"type": "integer"}, "skipped": obj{"type": "integer"}, "failed": obj{"type": "integer"}})
	return obj{
		"Error": object([]string{"error"}, obj{"error": str()}),
		"Person": object([]string{"id", "firstName", "lastName", "primaryEmail", "additionalEmails", "companyId"}, obj{
			"id": str(), "firstName": str(), "lastName": str(), "primaryEmail": str(), "additionalEmails": arrayOf(str()),
			"companyId": nullableStr(""), "createdBy": obj{"type": "string", "enum": []string{"user", "sync"}}}),
		"NewPerson": object([]string{"primaryEmail"}, obj{"firstName": str(), "lastName": str(), "primaryEmail": str(),
			"additionalEmails": arrayOf(str()), "companyId": str()}),
		"Company":     object([]string{"id", "name", "domain"}, obj{"id": str(), "name": str(), "domain": nullableStr("")}),
		"Address":     address,
		"Participant": participant,
		"ThreadRow": object([]string{"id", "subject", "messageCount", "lastMessageAt", "visibility", "snippet", "participants"}, obj{
			"id": str(), "subject": nullableStr("null below the subject level"), "messageCount": obj{"type": "integer"},
			"lastMessageAt": obj{"type": "string", "format": "date-time"}, "visibility": level,
			"snippet":      nullableStr("of the latest message; null below the everything level"),
			"participants": obj{"type": "array", "items": ref("Address"), "description": "senders first"}}),
		"ThreadPage": object([]string{"total", "threads"}, obj{"total": obj{"type": "integer"},
			"limit": obj{"type": "integer"}, "offset": obj{"type": "integer"}, "threads": arrayOf(ref("ThreadRow"))}),
		"Thread": object([]string{"id", "subject", "visibility", "messages"}, obj{"id": str(),
			"subject": nullableStr("null below the subject level"), "visibility": level, "messages": arrayOf(ref("Message"))}),
		"Message": object(messageRequired, message),
		"SearchPage": object([]string{"total", "messages"}, obj{"total": obj{"type": "integer"},
			"messages": arrayOf(ref("Message"))}),
		"MessageDetail": object(append(messageRequired, "html", "why"), detail),
		"SendMessage": object([]string{"to"}, obj{
			"to": arrayOf(str()), "cc": arrayOf(str()), "bcc": obj{"type": "array", "items": str(), "description": "never in the headers"},
			"subject": obj{"type": "string", "description": "a reply defaults to \"Re: \" + the original's (never \"Re: Re:\")"},
			"text":    obj{"type": "string", "description": "plain text body"}, "html": obj{"type": "string", "description": "HTML body, sanitized before sending"},
			"replyTo": obj{"type": "string", "description": "stored id of the message replied to: In-Reply-To and References follow it"},
			"attachments": arrayOf(object([]string{"filename", "content"}, obj{"filename": str(), "contentType": str(),
				"content": obj{"type": "string", "format": "byte", "description": "base64"}}))}),
		"SendResult": object([]string{"id", "messageId", "threadId"}, obj{"id": str(),
			"messageId": obj{"type": "string", "description": "the Message-ID mailsync generated, without angle brackets"},
			"threadId":  str(), "warning": obj{"type": "string", "description": "set when the message went out but no copy could be kept in Sent"}}),
		"NewAccessRequest": obj{"type": "object", "properties": obj{"note": obj{"type": "string", "description": "optional, for the owners"}}},
		"AccessRequest": object([]string{"id", "threadId", "requester", "status", "createdAt", "decidedBy"}, obj{
			"id": str(), "threadId": str(), "requester": obj{"type": "string", "description": "the requester's login email"},
			"note":      str(),
			"status":    obj{"type": "string", "enum": []string{"pending", "granted", "denied", "revoked"}},
			"createdAt": obj{"type": "string", "format": "date-time"},
			"decidedBy": nullableStr("login email of the owner who granted, denied or revoked it last; null while pending"),
			"decidedAt": obj{"type": "string", "format": "date-time", "nullable": true}}),
		"Attachment": object([]string{"index", "filename", "contentType", "size"}, obj{
			"index": obj{"type": "integer", "description": "from 0, in MIME order"}, "filename": str(),
			"contentType": obj{"type": "string", "description": "as the message declares it"}, "size": obj{"type": "integer", "description": "decoded bytes"}}),
		"Decision": object([]string{"accountId", "folder", "decision", "rule", "detail", "contacts"}, obj{
			"accountId": str(), "folder": str(), "decision": obj{"type": "string", "enum": []string{"imported", "skipped", "failed"}},
			"rule": str(), "detail": str(), "contacts": arrayOf(object([]string{"email", "outcome", "reason"}, obj{
				"email": str(), "outcome": obj{"type": "string", "enum": []string{"created", "linked", "not-created"}}, "reason": str()}))}),
		"Account": object([]string{"id", "member", "provider", "handle", "status", "lastSyncedAt", "counts"}, obj{
			"id": str(), "member": str(), "memberId": str(), "provider": str(), "handle": str(), "aliases": arrayOf(str()),
			"host": str(), "port": obj{"type": "integer"}, "security": str(), "username": str(),
			"status": obj{"type": "string", "enum": []string{"not_synced", "importing", "active", "failed_auth", "failed", "paused"},
				"description": "paused: an owner or an admin paused its sync; resuming shows the last sync's outcome again"},
			"lastError":    obj{"type": "string", "description": "why the last sync failed, in words"},
			"lastSyncedAt": obj{"type": "string", "format": "date-time", "nullable": true},
			"smtp": obj{"type": "object", "nullable": true, "description": "an IMAP mailbox's SMTP server (defaults filled in); null for Gmail and Microsoft",
				"properties": obj{"host": str(), "port": obj{"type": "integer"}, "security": obj{"type": "string", "enum": []string{"tls", "starttls", "none"}}, "username": str()}},
			"counts": counts, "visibility": obj{"type": "string", "enum": []string{"metadata", "subject", "everything"}},
			"autoCreate":   obj{"type": "string", "enum": []string{"none", "sent", "sent-and-received"}},
			"excludeGroup": obj{"type": "boolean"}, "excludePersonal": obj{"type": "boolean"}, "folders": arrayOf(str())}),
		"EventFeed": object([]string{"events", "next"}, obj{
			"events": arrayOf(ref("Event")),
			"next":   obj{"type": "string", "description": "the cursor to read on from: the last event's id, or `after` when none followed"}}),
		"Event": object([]string{"id", "type", "occurredAt", "data"}, obj{
			"id":         obj{"type": "string", "description": "the event's cursor: a decimal number growing in commit order within the workspace"},
			"type":       obj{"type": "string", "enum": store.EventTypes},
			"occurredAt": obj{"type": "string", "format": "date-time"},
			"data": obj{"type": "object", "description": "ids and metadata, never a body. message.created: id, messageId, threadId, " +
				"accountId, direction, sentAt, personIds, companyIds; message.deleted: id, messageId, threadId; thread.updated: id, " +
				"messageCount, firstMessageAt, lastMessageAt; person.created: id, primaryEmail, companyId, createdBy; person.updated: " +
				"id, change (add-email, remove-email, merge); person.deleted: id (mergedInto after a merge); company.created: id, name, " +
				"domain, createdBy; company.deleted: id; account.status: id, status (not_synced, importing, active, failed_auth, " +
				"failed, removed), previous, lastError"}}),
		"Preview": object([]string{"listed", "wouldImport", "wouldSkip", "wouldCreate"}, obj{
			"listed":      obj{"type": "integer", "description": "messages read: the newest of the folders an import syncs"},
			"wouldImport": obj{"type": "integer"},
			"wouldSkip":   obj{"type": "object", "additionalProperties": obj{"type": "integer"}, "description": "skipped messages by rule (as `why` names them)"},
			"failed":      obj{"type": "integer", "description": "messages that would fail to parse"},
			"wouldCreate": object([]string{"people", "companies"}, obj{
				"people":    arrayOf(object([]string{"email", "name"}, obj{"email": str(), "name": str()})),
				"companies": arrayOf(object([]string{"domain", "name"}, obj{"domain": str(), "name": str()}))})}),
		"Webhook": object([]string{"id", "url", "types", "status", "deliveredUpTo", "attempts", "failingSince", "nextAttempt",
			"lastError", "disabledReason", "createdAt"}, obj{
			"id": str(), "url": str(), "types": arrayOf(str()),
			"status":         obj{"type": "string", "enum": []string{"active", "failing", "disabled"}},
			"deliveredUpTo":  obj{"type": "string", "description": "the id of the last event delivered (or passed over: not of its types)"},
			"attempts":       obj{"type": "integer", "description": "failed attempts at the next event"},
			"failingSince":   obj{"type": "string", "format": "date-time", "nullable": true},
			"nextAttempt":    obj{"type": "string", "format": "date-time", "nullable": true},
			"lastError":      str(),
			"disabledReason": obj{"type": "string", "description": "why deliveries stopped, in words"},
			"createdAt":      obj{"type": "string", "format": "date-time"}}),
		"AuditPage": object([]string{"total", "limit", "offset", "entries"}, obj{
			"total": obj{"type": "integer"}, "limit": obj{"type": "integer"}, "offset": obj{"type": "integer"},
			"entries": arrayOf(ref("AuditEntry"))}),
		"AuditEntry": object([]string{"id", "at", "actorId", "actor", "ip", "action", "targetId", "details"}, obj{
			"id": str(), "at": obj{"type": "string", "format": "date-time"},
			"actorId": obj{"type": "string", "description": "the member who made the change; empty for the operator's CLI"},
			"actor":   obj{"type": "string", "description": "the member's login email, or cli"},
			"ip":      obj{"type": "string", "description": "the client IP of the request (X-Forwarded-For from a proxy on a private or loopback address), or cli"},
			"action": obj{"type": "string", "description": "what changed", "enum": []string{"account.add", "account.update", "account.remove",
				"account.pause", "account.resume", "account.credentials", "blocklist.add", "blocklist.remove", "member.add",
				"member.password", "token.create", "workspace.create", "workspace.update"}},
			"targetId": obj{"type": "string", "description": "the id of the account, member, token or workspace changed"},
			"details":  obj{"type": "object", "description": "the settings changed and their new values (names and addresses, never mail content, passwords or tokens)"}}),
		"Reconciliation": object([]string{"accountId", "handle", "folders", "ok", "repaired"}, obj{
			"accountId": str(), "handle": str(), "ok": obj{"type": "boolean"}, "repaired": obj{"type": "boolean"},
			"reason": obj{"type": "string", "description": "why the mailbox as a whole differs: never imported (no sync of it has finished)"},
			"folders": arrayOf(object([]string{"folder", "onServer", "imported", "skipped", "failed", "missing", "extra", "ok"}, obj{
				"folder": str(), "onServer": obj{"type": "integer"}, "imported": obj{"type": "integer"},
				"skipped": obj{"type": "integer"}, "failed": obj{"type": "integer"},
				"missing": obj{"type": "array", "items": str(), "description": "ids on the server with nothing recorded: new since the last sync, or lost"},
				"extra":   obj{"type": "array", "items": str(), "description": "ids recorded that the server no longer holds: deleted since the last sync"},
				"reason":  obj{"type": "string", "description": "why the folder differs although no id does: selected but never synced, or on the server and selected but never listed by a sync"},
				"ok":      obj{"type": "boolean"}}))}),
		"NewAccount": object([]string{"host", "username", "password"}, obj{
			"provider": obj{"type": "string", "enum": []string{"imap"}}, "host": str(),
			"port":     obj{"type": "integer", "description": "default 993 with tls, 143 otherwise"},
			"security": obj{"type": "string", "enum": []string{"tls", "starttls", "none"}}, "username": str(),
			"password": obj{"type": "string", "format": "password"},
			"handle":   obj{"type": "string", "description": "the mailbox address; default the username when it is one"},
			"aliases":  arrayOf(str())}),
		"Workspace": object([]string{"id", "name", "domains", "importInternal"}, obj{
			"id": str(), "name": str(), "domains": obj{"type": "array", "items": str(), "description": "the domains the workspace declares as its own"},
			"importInternal": obj{"type": "boolean", "description": "import mail whose every participant is on the mailbox's own domains (default false)"}}),
		"WorkspaceSettings": object(nil, obj{
			"importInternal": obj{"type": "boolean", "description": "a field left out keeps its value"}}),
		"AccountSettings": object(nil, obj{
			"visibility":   obj{"type": "string", "enum": []string{"metadata", "subject", "everything"}},
			"autoCreate":   obj{"type": "string", "enum": []string{"none", "sent", "sent-and-received"}},
			"excludeGroup": obj{"type": "boolean"}, "excludePersonal": obj{"type": "boolean"},
			"folders": obj{"type": "array", "items": str(), "description": "folders to sync; [] for the default set"}}),
	}
}

var (
	openAPIOnce sync.Once
	openAPIDoc  obj
)

func (s *server) openAPI(w http.ResponseWriter, r *http.Request) {
	openAPIOnce.Do(func() { openAPIDoc = openAPIDocument() })
	w.Header().Set("Access-Control-Allow-Origin", "*")
	writeJSON(w, http.StatusOK, openAPIDoc)
}
