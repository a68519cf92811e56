package main

import (
	"fmt"
	"os"
	"text/tabwriter"
	"time"
)

// lifecycleStatus is one bucket's entry in the "lifecycle" field of
// /cluster/status (lifecycle.BucketStatus).
type lifecycleStatus struct {
	Bucket          string    `json:"bucket"`
	LastRun         time.Time `json:"last_run"`
	Expired         int64     `json:"objects_expired"`
	VersionsRemoved int64     `json:"versions_removed"`
	UploadsAborted  int64     `json:"uploads_aborted"`
	Locked          int64     `json:"locked_skipped"`
}

// printLifecycle prints what this node's lifecycle runner did since it
// started, per bucket: on the groups it led.
func printLifecycle(st []lifecycleStatus) error {
	if len(st) == 0 {
		return nil
	}
	fmt.Println("\nlifecycle (this node, on the groups it led, since it started):")
	w := tabwriter.NewWriter(os.Stdout, 2, 4, 2, ' ', 0)
	fmt.Fprintln(w, "BUCKET\tLAST RUN\tEXPIRED\tVERSIONS REMOVED\tUPLOADS ABORTED\tLOCKED")
	for _, b := range st {
		last := "never"
		if !b.LastRun.IsZero() {
			last = b.LastRun.UTC().Format(time.RFC3339)
		}
		fmt.Fprintf(w, "%s\t%s\t%d\t%d\t%d\t%d\n", b.Bucket, last, b.Expired, b.VersionsRemoved, b.UploadsAborted, b.Locked)
	}
	return w.Flush()
}
