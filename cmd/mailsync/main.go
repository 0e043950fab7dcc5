// Command mailsync syncs team mailboxes into a CRM's People and Companies.
// See README.md and docs/cli.md.
package main

import (
	"context"
	"os"

	"github.com/mailsync/mailsync/internal/cli"
)

func main() {
	os.Exit(cli.Main(context.Background(), os.Args[1:]))
}
