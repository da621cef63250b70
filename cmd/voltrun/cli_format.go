package main

import (
	"fmt"
	"strconv"
	"time"
)

// humanBytes prints a size the way people read it: 512 B, 1.2 KiB, 3.4 MiB.
func humanBytes(n int64) string {
	const unit = 1024
	if n < unit {
		return fmt.Sprintf("%d B", n)
	}
	div, exp := int64(unit), 0
	for m := n / unit; m >= unit; m /= unit {
		div *= unit
		exp++
	}
	return fmt.Sprintf("%.1f %ciB", float64(n)/float64(div), "KMGTPE"[exp])
}

// shortHash is the first 8 characters of a hash, as git abbreviates.
func shortHash(h string) string {
	if len(h) > 8 {
		return h[:8]
	}
	return h
}

// shortExec is the last 8 characters of an execution id: ids are
// time-ordered (UUIDv7), so their first characters repeat for calls made
// close together while their ends tell them apart.
func shortExec(id string) string {
	if len(id) > 8 {
		return id[len(id)-8:]
	}
	return id
}

// when prints a timestamp in local time, or "-" for none.
func when(t *time.Time) string {
	if t == nil || t.IsZero() {
		return "-"
	}
	return t.Local().Format("2006-01-02 15:04:05")
}

// ms prints a duration given in milliseconds as people read it: 850 ms,
// 1.5 s, 10 s.
func ms(n int64) string {
	if n < 1000 {
		return fmt.Sprintf("%d ms", n)
	}
	return strconv.FormatFloat(float64(n)/1000, 'f', -1, 64) + " s"
}
