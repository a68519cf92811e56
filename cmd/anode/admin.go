package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"text/tabwriter"
	"time"

	"github.com/anode/anode/internal/cluster"
)

// runAdmin implements `anode admin <command>`: operations on a running
// node through its admin port.
func runAdmin(args []string) error {
	if len(args) == 0 {
		return fmt.Errorf("usage: anode admin status [--addr http://127.0.0.1:8081]\n       anode admin remove-node [--addr http://127.0.0.1:8081] ID")
	}
	switch args[0] {
	case "status":
		return adminStatus(args[1:])
	case "remove-node":
		return adminRemoveNode(args[1:])
	case "add-node", "replace-node":
		return fmt.Errorf("anode admin %s: a node is added by starting it with --join ADDR (the cluster address of any member); "+
			"to replace a node, add the new one, then 'anode admin remove-node' the old one", args[0])
	}
	return fmt.Errorf("anode admin: unknown command %q (try: status, remove-node)", args[0])
}

// adminRemoveNode removes a node from the cluster's membership; the
// groups then move their replicas off it (watch `anode admin status`).
func adminRemoveNode(args []string) error {
	fs := flag.NewFlagSet("admin remove-node", flag.ContinueOnError)
	addr := fs.String("addr", "http://127.0.0.1:8081", "admin URL of any node")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		return fmt.Errorf("usage: anode admin remove-node [--addr URL] ID")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, *addr+"/cluster/remove-node?id="+fs.Arg(0), nil)
	if err != nil {
		return err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return fmt.Errorf("remove-node: %w", err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("remove-node: %s: %s", resp.Status, body)
	}
	fmt.Printf("node %s removed; members now: %s", fs.Arg(0), body)
	fmt.Println("its groups move their replicas off it; stop the node once 'anode admin status' shows every group settled")
	return nil
}

func adminStatus(args []string) error {
	fs := flag.NewFlagSet("admin status", flag.ContinueOnError)
	addr := fs.String("addr", "http://127.0.0.1:8081", "admin URL of any node")
	asJSON := fs.Bool("json", false, "print the raw JSON")
	if err := fs.Parse(args); err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, *addr+"/cluster/status", nil)
	if err != nil {
		return err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return fmt.Errorf("admin status: %w", err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return err
	}
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("admin status: %s: %s", resp.Status, body)
	}
	if *asJSON {
		os.Stdout.Write(body)
		return nil
	}
	var st struct {
		NodeID    uint64                `json:"node_id"`
		Name      string                `json:"name"`
		Nodes     []cluster.Node        `json:"nodes"`
		Groups    []cluster.GroupStatus `json:"groups"`
		Placement *struct {
			Groups  int `json:"groups"`
			Settled int `json:"settled"`
		} `json:"placement"`
		Lifecycle []lifecycleStatus `json:"lifecycle"`
	}
	if err := json.Unmarshal(body, &st); err != nil {
		return fmt.Errorf("admin status: %w", err)
	}
	fmt.Printf("node %d (%s)\n\nnodes:\n", st.NodeID, st.Name)
	for _, n := range st.Nodes {
		fmt.Printf("  %d  %s\n", n.ID, n.Addr)
	}
	leaders := map[uint64]int{}
	noLeader := 0
	for _, g := range st.Groups {
		if g.Leader == 0 {
			noLeader++
		}
		leaders[g.Leader]++
	}
	fmt.Printf("\ngroups: %d, without a leader: %d\n", len(st.Groups), noLeader)
	if st.Placement != nil {
		fmt.Printf("placement: %d of %d groups have their target replicas\n", st.Placement.Settled, st.Placement.Groups)
	}
	fmt.Printf("leaders per node:")
	for _, n := range st.Nodes {
		fmt.Printf(" %d:%d", n.ID, leaders[n.ID])
	}
	fmt.Println()
	fmt.Println()
	w := tabwriter.NewWriter(os.Stdout, 2, 4, 2, ' ', 0)
	fmt.Fprintln(w, "GROUP\tLEADER\tTERM\tCOMMIT\tAPPLIED\tVOTERS\tLEARNERS")
	for _, g := range st.Groups {
		fmt.Fprintf(w, "%d\t%d\t%d\t%d\t%d\t%v\t%v\n", g.ID, g.Leader, g.Term, g.Commit, g.Applied, g.Voters, g.Learners)
	}
	if err := w.Flush(); err != nil {
		return err
	}
	return printLifecycle(st.Lifecycle)
}
