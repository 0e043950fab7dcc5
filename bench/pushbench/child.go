package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"runtime"
	"runtime/debug"
	"runtime/pprof"
	"strconv"
	"strings"
)

// childMain watches -n mailboxes and prints the process's memory before
// and while watching them.
func childMain(argv []string) int {
	fs := flag.NewFlagSet(childCommand, flag.ContinueOnError)
	n := fs.Int("n", 100, "mailboxes to watch")
	heap := fs.String("heapprofile", "", "heap profile written while watching")
	if err := fs.Parse(argv); err != nil {
		return 2
	}
	r, err := watchChild(context.Background(), *n, *heap)
	if err != nil {
		fmt.Fprintln(os.Stderr, "pushbench:", err)
		return 1
	}
	if err := json.NewEncoder(os.Stdout).Encode(r); err != nil {
		return 1
	}
	return 0
}

func watchChild(ctx context.Context, n int, heapProfile string) (result, error) {
	e, err := newEnv(ctx, n)
	if err != nil {
		return result{}, err
	}
	defer e.close()
	var r result
	if r.RSSBefore, r.HeapBefore, r.GoroutinesBefore, err = settled(); err != nil {
		return r, err
	}
	stop, err := e.startWatching(ctx)
	if err != nil {
		return r, err
	}
	defer stop()
	r.Idle, _ = e.manager.Connections()
	if r.RSSAfter, r.HeapAfter, r.GoroutinesAfter, err = settled(); err != nil {
		return r, err
	}
	if heapProfile != "" {
		f, err := os.Create(heapProfile)
		if err != nil {
			return r, err
		}
		defer f.Close()
		if err := pprof.WriteHeapProfile(f); err != nil {
			return r, err
		}
	}
	return r, nil
}

// settled collects garbage, returns freed memory to the system, and reads
// the resident set size, the Go heap in use and the goroutines.
func settled() (rss, heap int64, goroutines int, err error) {
	runtime.GC()
	debug.FreeOSMemory()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0, 0, 0, err
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			kb, err := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
			return kb * 1024, int64(ms.HeapInuse), runtime.NumGoroutine(), err
		}
	}
	return 0, 0, 0, fmt.Errorf("no VmRSS in /proc/self/status")
}
