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
		return fmt.Errorf("usage: anode admin status [--addr http://127.0.0.1:8081]")
	}
	switch args[0] {
	case "status":
		return adminStatus(args[1:])
	case "add-node", "remove-node", "replace-node":
		return fmt.Errorf("anode admin %s: changing membership is not supported yet; clusters are formed from cluster.initial_members", args[0])
	}
	return fmt.Errorf("anode admin: unknown command %q (try: status)", args[0])
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
		NodeID uint64                `json:"node_id"`
		Name   string                `json:"name"`
		Nodes  []cluster.Node        `json:"nodes"`
		Groups []cluster.GroupStatus `json:"groups"`
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
	fmt.Printf("\ngroups: %d, without a leader: %d\nleaders per node:", len(st.Groups), noLeader)
	for _, n := range st.Nodes {
		fmt.Printf(" %d:%d", n.ID, leaders[n.ID])
	}
	fmt.Println()
	fmt.Println()
	w := tabwriter.NewWriter(os.Stdout, 2, 4, 2, ' ', 0)
	fmt.Fprintln(w, "GROUP\tLEADER\tTERM\tCOMMIT\tAPPLIED\tVOTERS")
	for _, g := range st.Groups {
		fmt.Fprintf(w, "%d\t%d\t%d\t%d\t%d\t%v\n", g.ID, g.Leader, g.Term, g.Commit, g.Applied, g.Voters)
	}
	return w.Flush()
}
