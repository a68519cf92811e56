package main

import (
	"flag"
	"fmt"
	"net/http"
	"net/url"
	"os"
)

const snapshotUsage = `usage: anode admin snapshot [--addr URL] [admin flags] create BUCKET [--name NAME]
       anode admin snapshot [--addr URL] [admin flags] list [BUCKET]
       anode admin snapshot [--addr URL] [admin flags] delete BUCKET NAME
       anode admin snapshot [--addr URL] [admin flags] usage BUCKET NAME
       anode admin snapshot [--addr URL] [admin flags] restore BUCKET NAME [--prefix P] [--to TARGET]
A snapshot NAME of BUCKET reads through S3 as the read-only bucket BUCKET--NAME--snap.
Requests are signed with the root credentials (ANODE_ROOT_USER, ANODE_ROOT_PASSWORD).`

// adminSnapshot takes, lists and deletes bucket snapshots through a
// node's admin port (docs/snapshots.md).
func adminSnapshot(args []string) error {
	fs := flag.NewFlagSet("admin snapshot", flag.ContinueOnError)
	client := adminFlags(fs)
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() == 0 {
		return fmt.Errorf("%s", snapshotUsage)
	}
	cmd, rest := fs.Arg(0), fs.Args()[1:]
	q := url.Values{}
	var method string
	switch cmd {
	case "create":
		// Accept --name before or after BUCKET.
		cf := flag.NewFlagSet("admin snapshot create", flag.ContinueOnError)
		name := cf.String("name", "", "snapshot name (default: the time, YYYYMMDD-hhmmss)")
		if err := cf.Parse(rest); err != nil {
			return err
		}
		pos := cf.Args()
		if len(pos) >= 1 {
			if err := cf.Parse(pos[1:]); err != nil {
				return err
			}
			if cf.NArg() != 0 {
				return fmt.Errorf("%s", snapshotUsage)
			}
		} else {
			return fmt.Errorf("%s", snapshotUsage)
		}
		method = http.MethodPost
		q.Set("bucket", pos[0])
		if *name != "" {
			q.Set("name", *name)
		}
	case "list":
		if len(rest) > 1 {
			return fmt.Errorf("%s", snapshotUsage)
		}
		method = http.MethodGet
		if len(rest) == 1 {
			q.Set("bucket", rest[0])
		}
	case "delete":
		if len(rest) != 2 {
			return fmt.Errorf("%s", snapshotUsage)
		}
		method = http.MethodDelete
		q.Set("bucket", rest[0])
		q.Set("name", rest[1])
	case "usage":
		if len(rest) != 2 {
			return fmt.Errorf("%s", snapshotUsage)
		}
		method = http.MethodGet
		q.Set("bucket", rest[0])
		q.Set("name", rest[1])
	case "restore":
		rf := flag.NewFlagSet("admin snapshot restore", flag.ContinueOnError)
		prefix := rf.String("prefix", "", "restore only the keys with this prefix")
		to := rf.String("to", "", "target bucket (default: the snapshot's own)")
		if err := rf.Parse(rest); err != nil {
			return err
		}
		pos := rf.Args()
		if len(pos) < 2 {
			return fmt.Errorf("%s", snapshotUsage)
		}
		if err := rf.Parse(pos[2:]); err != nil {
			return err
		}
		if rf.NArg() != 0 {
			return fmt.Errorf("%s", snapshotUsage)
		}
		method = http.MethodPost
		q.Set("bucket", pos[0])
		q.Set("name", pos[1])
		if *prefix != "" {
			q.Set("prefix", *prefix)
		}
		if *to != "" {
			q.Set("target", *to)
		}
	default:
		return fmt.Errorf("anode admin snapshot: unknown command %q\n%s", cmd, snapshotUsage)
	}
	c, err := client()
	if err != nil {
		return err
	}
	path := "/snapshots"
	if cmd == "restore" || cmd == "usage" {
		path += "/" + cmd
	}
	if len(q) > 0 {
		path += "?" + q.Encode()
	}
	out, err := kmsRequest(c, method, path, nil)
	if err != nil {
		return fmt.Errorf("snapshot %s: %w", cmd, err)
	}
	if cmd == "delete" {
		fmt.Printf("deleted snapshot %s of %s\n", rest[1], rest[0])
		return nil
	}
	os.Stdout.Write(out)
	return nil
}
