package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
)

const kmsUsage = `usage: anode admin kms [--addr URL] [admin flags] list
       anode admin kms [--addr URL] [admin flags] create [--description TEXT] ID
       anode admin kms [--addr URL] [admin flags] rotate|disable|enable ID
Requests are signed with the root credentials (ANODE_ROOT_USER, ANODE_ROOT_PASSWORD).`

// adminKMS manages the built-in KMS's keys through a node's admin port.
func adminKMS(args []string) error {
	fs := flag.NewFlagSet("admin kms", flag.ContinueOnError)
	client := adminFlags(fs)
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() == 0 {
		return fmt.Errorf("%s", kmsUsage)
	}
	cmd, rest := fs.Arg(0), fs.Args()[1:]
	var method, path string
	var body []byte
	switch cmd {
	case "list":
		method, path = http.MethodGet, "/kms/keys"
	case "create":
		cf := flag.NewFlagSet("admin kms create", flag.ContinueOnError)
		desc := cf.String("description", "", "what the key is for")
		if err := cf.Parse(rest); err != nil {
			return err
		}
		if cf.NArg() != 1 {
			return fmt.Errorf("%s", kmsUsage)
		}
		method, path = http.MethodPost, "/kms/keys"
		body, _ = json.Marshal(map[string]string{"id": cf.Arg(0), "description": *desc})
	case "rotate", "disable", "enable":
		if len(rest) != 1 {
			return fmt.Errorf("%s", kmsUsage)
		}
		method, path = http.MethodPost, "/kms/"+cmd+"?id="+url.QueryEscape(rest[0])
	default:
		return fmt.Errorf("anode admin kms: unknown command %q\n%s", cmd, kmsUsage)
	}
	c, err := client()
	if err != nil {
		return err
	}
	out, err := kmsRequest(c, method, path, body)
	if err != nil {
		return err
	}
	os.Stdout.Write(out)
	return nil
}

// kmsRequest sends one SigV4-signed request with a body to the KMS admin API.
func kmsRequest(c *adminClient, method, path string, body []byte) ([]byte, error) {
	// Rotation rewraps every stored data key of the key: allow it time.
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Minute)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, method, c.addr+path, bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	sum := sha256.Sum256(body)
	hash := hex.EncodeToString(sum[:])
	req.Header.Set("X-Amz-Content-Sha256", hash)
	creds := aws.Credentials{AccessKeyID: c.accessKey, SecretAccessKey: c.secretKey}
	if err := v4.NewSigner().SignHTTP(ctx, creds, req, hash, "s3", c.region, time.Now()); err != nil {
		return nil, err
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return nil, fmt.Errorf("kms %s: %w", path, err)
	}
	defer resp.Body.Close()
	out, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return nil, err
	}
	if resp.StatusCode/100 != 2 {
		return nil, fmt.Errorf("kms: %s: %s", resp.Status, bytes.TrimSpace(out))
	}
	return out, nil
}
