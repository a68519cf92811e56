package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/anode/anode/internal/admin"
)

// `anode admin user|key|group|policy|credential ...`: the identity API
// (internal/admin/users.go), signed with the root credentials from
// ANODE_ROOT_USER / ANODE_ROOT_PASSWORD (or --access-key/--secret-key).

const iamUsage = `usage:
  anode admin user create NAME [--policy P]...   anode admin user list | show NAME | delete NAME
  anode admin user disable NAME | enable NAME
  anode admin user attach NAME POLICY | detach NAME POLICY
  anode admin key create USER [--description D] [--expires 2027-01-01T00:00:00Z | --expires-in 720h]
  anode admin key list [USER] | show KEY | delete KEY | rotate KEY | disable KEY | enable KEY
  anode admin key reencrypt                      (after rotating the root credentials, see docs/security.md)
  anode admin group create NAME [--policy P]...  anode admin group list | show NAME | delete NAME
  anode admin group add GROUP USER | remove GROUP USER
  anode admin group attach GROUP POLICY | detach GROUP POLICY
  anode admin policy list | show NAME | delete NAME
  anode admin policy put NAME FILE.json          (FILE "-" reads standard input)
  anode admin credential create --permission read|write [--bucket B]...   anode admin credential delete KEY
common flags: --addr http://127.0.0.1:8081 --access-key K --secret-key S
built-in policies: readonly, readwrite, writeonly, and readonly:BUCKET, readwrite:BUCKET, writeonly:BUCKET`

// multiFlag collects a repeatable string flag.
type multiFlag []string

func (m *multiFlag) String() string     { return strings.Join(*m, ",") }
func (m *multiFlag) Set(v string) error { *m = append(*m, v); return nil }

// runIAM runs one identity command: kind is user, key, group, policy or
// credential.
func runIAM(kind string, args []string) error {
	if len(args) == 0 {
		return fmt.Errorf("%s", iamUsage)
	}
	verb := args[0]
	fs := flag.NewFlagSet("admin "+kind+" "+verb, flag.ContinueOnError)
	addr := fs.String("addr", "http://127.0.0.1:8081", "admin URL of any node")
	accessKey := fs.String("access-key", os.Getenv("ANODE_ROOT_USER"), "root access key (default $ANODE_ROOT_USER)")
	secretKey := fs.String("secret-key", os.Getenv("ANODE_ROOT_PASSWORD"), "root secret key (default $ANODE_ROOT_PASSWORD)")
	var policies, buckets, permissions multiFlag
	fs.Var(&policies, "policy", "policy to attach (repeatable)")
	fs.Var(&buckets, "bucket", "limit a credential to a bucket (repeatable)")
	fs.Var(&permissions, "permission", "credential permission: read or write (repeatable)")
	description := fs.String("description", "", "key description")
	expires := fs.String("expires", "", "key expiry (RFC 3339)")
	expiresIn := fs.Duration("expires-in", 0, "key lifetime (e.g. 720h)")
	// Flags may come before, between or after the arguments.
	var pos []string
	for rest := args[1:]; ; {
		if err := fs.Parse(rest); err != nil {
			return err
		}
		if rest = fs.Args(); len(rest) == 0 {
			break
		}
		pos, rest = append(pos, rest[0]), rest[1:]
	}
	if *accessKey == "" || *secretKey == "" {
		return fmt.Errorf("the root credentials are needed: set ANODE_ROOT_USER and ANODE_ROOT_PASSWORD or pass --access-key and --secret-key")
	}
	c := &admin.Client{URL: *addr, AccessKey: *accessKey, SecretKey: *secretKey}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	need := func(n int, names string) error {
		if len(pos) != n {
			return fmt.Errorf("usage: anode admin %s %s %s", kind, verb, names)
		}
		return nil
	}
	keyBody := func() (map[string]any, error) {
		body := map[string]any{}
		if *description != "" {
			body["description"] = *description
		}
		switch {
		case *expires != "" && *expiresIn != 0:
			return nil, fmt.Errorf("give --expires or --expires-in, not both")
		case *expires != "":
			t, err := time.Parse(time.RFC3339, *expires)
			if err != nil {
				return nil, fmt.Errorf("--expires: %w", err)
			}
			body["expires"] = t
		case *expiresIn != 0:
			body["expires"] = time.Now().Add(*expiresIn)
		}
		return body, nil
	}
	// call sends a request and prints the JSON answer, if any.
	call := func(method, path string, body any) error {
		var out json.RawMessage
		if err := c.Do(ctx, method, path, body, &out); err != nil {
			return err
		}
		if len(out) > 0 {
			os.Stdout.Write(out)
			if out[len(out)-1] != '\n' {
				fmt.Println()
			}
		}
		return nil
	}
	seg := url.PathEscape

	switch kind + " " + verb {
	case "user create":
		if err := need(1, "NAME"); err != nil {
			return err
		}
		return call("POST", "/admin/users", map[string]any{"name": pos[0], "policies": []string(policies)})
	case "user list":
		return call("GET", "/admin/users", nil)
	case "user show":
		if err := need(1, "NAME"); err != nil {
			return err
		}
		return call("GET", "/admin/users/"+seg(pos[0]), nil)
	case "user delete":
		if err := need(1, "NAME"); err != nil {
			return err
		}
		return call("DELETE", "/admin/users/"+seg(pos[0]), nil)
	case "user disable", "user enable":
		if err := need(1, "NAME"); err != nil {
			return err
		}
		return call("POST", "/admin/users/"+seg(pos[0])+"/"+verb, nil)
	case "user attach", "user detach", "group attach", "group detach":
		if err := need(2, "NAME POLICY"); err != nil {
			return err
		}
		method := "PUT"
		if verb == "detach" {
			method = "DELETE"
		}
		return call(method, "/admin/"+kind+"s/"+seg(pos[0])+"/policies/"+seg(pos[1]), nil)
	case "key create":
		if err := need(1, "USER"); err != nil {
			return err
		}
		body, err := keyBody()
		if err != nil {
			return err
		}
		return call("POST", "/admin/users/"+seg(pos[0])+"/keys", body)
	case "key list":
		if len(pos) == 1 {
			return call("GET", "/admin/users/"+seg(pos[0])+"/keys", nil)
		}
		return call("GET", "/admin/keys", nil)
	case "key reencrypt":
		if err := need(0, ""); err != nil {
			return err
		}
		return call("POST", "/admin/keys/reencrypt", nil)
	case "key show":
		if err := need(1, "KEY"); err != nil {
			return err
		}
		return call("GET", "/admin/keys/"+seg(pos[0]), nil)
	case "key delete":
		if err := need(1, "KEY"); err != nil {
			return err
		}
		return call("DELETE", "/admin/keys/"+seg(pos[0]), nil)
	case "key rotate", "key disable", "key enable":
		if err := need(1, "KEY"); err != nil {
			return err
		}
		return call("POST", "/admin/keys/"+seg(pos[0])+"/"+verb, nil)
	case "group create":
		if err := need(1, "NAME"); err != nil {
			return err
		}
		return call("POST", "/admin/groups", map[string]any{"name": pos[0], "policies": []string(policies)})
	case "group list":
		return call("GET", "/admin/groups", nil)
	case "group show":
		if err := need(1, "NAME"); err != nil {
			return err
		}
		return call("GET", "/admin/groups/"+seg(pos[0]), nil)
	case "group delete":
		if err := need(1, "NAME"); err != nil {
			return err
		}
		return call("DELETE", "/admin/groups/"+seg(pos[0]), nil)
	case "group add", "group remove":
		if err := need(2, "GROUP USER"); err != nil {
			return err
		}
		method := "PUT"
		if verb == "remove" {
			method = "DELETE"
		}
		return call(method, "/admin/groups/"+seg(pos[0])+"/members/"+seg(pos[1]), nil)
	case "policy list":
		return call("GET", "/admin/policies", nil)
	case "policy show":
		if err := need(1, "NAME"); err != nil {
			return err
		}
		return call("GET", "/admin/policies/"+seg(pos[0]), nil)
	case "policy delete":
		if err := need(1, "NAME"); err != nil {
			return err
		}
		return call("DELETE", "/admin/policies/"+seg(pos[0]), nil)
	case "policy put":
		if err := need(2, "NAME FILE.json"); err != nil {
			return err
		}
		var doc []byte
		var err error
		if pos[1] == "-" {
			doc, err = io.ReadAll(io.LimitReader(os.Stdin, 1<<20))
		} else {
			doc, err = os.ReadFile(pos[1])
		}
		if err != nil {
			return err
		}
		return call("PUT", "/admin/policies/"+seg(pos[0]), doc)
	case "credential create":
		if err := need(0, "--permission read|write [--bucket B]..."); err != nil {
			return err
		}
		body, err := keyBody()
		if err != nil {
			return err
		}
		body["permissions"], body["buckets"] = []string(permissions), []string(buckets)
		return call("POST", "/admin/credentials", body)
	case "credential delete":
		if err := need(1, "KEY"); err != nil {
			return err
		}
		return call("DELETE", "/admin/credentials/"+seg(pos[0]), nil)
	}
	return fmt.Errorf("anode admin %s: unknown command %q\n%s", kind, verb, iamUsage)
}
