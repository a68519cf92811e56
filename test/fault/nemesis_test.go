package fault

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// Partitions on loopback.
//
// Node i listens for cluster traffic on its own address 127.A.B.i:9090, but
// its outgoing connections to the other nodes leave from 127.0.0.1 (the
// server does not bind a source address, and the kernel picks 127.0.0.1
// for every loopback destination). Rules on source and destination
// address alone therefore cannot tell node 1's outgoing traffic from node
// 3's. Isolating node i takes two kinds of rules:
//
//   - INPUT, destination 127.A.B.i port 9090: nothing reaches node i's
//     cluster port (raft messages, chunk writes, forwarded requests);
//   - OUTPUT, from node i's process, destination 127.A.B.j for every other
//     node j: node i reaches no other node. The process is told apart by
//     its cgroup (iptables' cgroup match): the suite moves it into a cgroup
//     v2 group of its own for the length of the partition. A socket keeps
//     the cgroup it was made in, though, so the connections node i had
//     already opened are cut one by one, by their local and remote
//     addresses, found through /proc.
//
// Clients reach every node's S3 port on 127.0.0.1, which no rule touches:
// a client bound to the isolated node keeps talking to it, so the suite
// sees what the minority side answers.

// checkNetAdmin fails the test unless partitions can be made here: root,
// the iptables command and a cgroup v2 hierarchy.
func checkNetAdmin(t *testing.T) string {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Fatalf("the fault suite partitions nodes with iptables and must run as root (euid %d)", os.Geteuid())
	}
	if _, err := exec.LookPath("iptables"); err != nil {
		t.Fatalf("the fault suite needs the iptables command (Debian package iptables): %v", err)
	}
	root, err := cgroup2Root()
	if err != nil {
		t.Fatalf("the fault suite needs a cgroup v2 hierarchy to partition a node's outgoing traffic: %v", err)
	}
	return root
}

// cgroup2Root returns where the cgroup v2 hierarchy is mounted.
func cgroup2Root() (string, error) {
	f, err := os.Open("/proc/self/mounts")
	if err != nil {
		return "", err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) >= 3 && fields[2] == "cgroup2" {
			return fields[1], nil
		}
	}
	if err := sc.Err(); err != nil {
		return "", err
	}
	return "", fmt.Errorf("no cgroup2 file system in /proc/self/mounts")
}

// nodePID finds the process of the anode server whose data directory is
// dir, among this test's children (testutil.Process does not expose it).
func nodePID(dir string) (int, error) {
	want := []byte("\x00--data-dir\x00" + dir + "\x00")
	entries, err := os.ReadDir("/proc")
	if err != nil {
		return 0, err
	}
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		cmdline, err := os.ReadFile(filepath.Join("/proc", e.Name(), "cmdline"))
		if err != nil || !bytes.Contains(cmdline, want) {
			continue
		}
		stat, err := os.ReadFile(filepath.Join("/proc", e.Name(), "stat"))
		if err != nil {
			continue
		}
		// stat is "pid (comm) state ppid ...": comm may hold spaces.
		rest := stat[bytes.LastIndexByte(stat, ')')+1:]
		if f := strings.Fields(string(rest)); len(f) > 1 && f[1] == strconv.Itoa(os.Getpid()) {
			return pid, nil
		}
	}
	return 0, fmt.Errorf("no child process serves %s", dir)
}

// partition isolates one node of a cluster from the others.
type partition struct {
	node   int // 0-based
	cgroup string
	home   string // the node's cgroup before, relative to the root
	pid    int
	rules  [][]string // iptables rule specifications, as installed
}

// isolate cuts node i (0-based) off from every other member. members are
// the cluster addresses (host:port), dir is node i's data directory.
func isolate(cgroupRoot string, members []string, i int, dir string) (*partition, error) {
	pid, err := nodePID(dir)
	if err != nil {
		return nil, err
	}
	home, err := cgroupOf(pid)
	if err != nil {
		return nil, err
	}
	p := &partition{node: i, pid: pid, home: home}
	p.cgroup = fmt.Sprintf("anode-fault-%d-%d", os.Getpid(), rand.Uint32())
	if err := os.Mkdir(filepath.Join(cgroupRoot, p.cgroup), 0o755); err != nil {
		return nil, fmt.Errorf("create cgroup: %w", err)
	}
	if err := os.WriteFile(filepath.Join(cgroupRoot, p.cgroup, "cgroup.procs"), []byte(strconv.Itoa(pid)), 0); err != nil {
		p.heal(cgroupRoot)
		return nil, fmt.Errorf("move node %d (pid %d) into cgroup %s: %w", i+1, pid, p.cgroup, err)
	}
	self, port, err := net.SplitHostPort(members[i])
	if err != nil {
		p.heal(cgroupRoot)
		return nil, err
	}
	if err := p.add([]string{"INPUT", "-d", self, "-p", "tcp", "--dport", port}); err != nil {
		p.heal(cgroupRoot)
		return nil, err
	}
	peers := map[string]bool{}
	for j, m := range members {
		if j == i {
			continue
		}
		peers[m] = true
		host, _, err := net.SplitHostPort(m)
		if err != nil {
			p.heal(cgroupRoot)
			return nil, err
		}
		if err := p.add([]string{"OUTPUT", "-m", "cgroup", "--path", p.cgroup, "-d", host}); err != nil {
			p.heal(cgroupRoot)
			return nil, err
		}
	}
	// A socket belongs to the cgroup its process was in when the socket
	// was made, so the connections the node opened before it moved are
	// not matched by the cgroup rules: each is cut by its own addresses.
	// A second look catches one that was being dialled during the first.
	cut := map[[2]string]bool{}
	for range 2 {
		conns, err := tcpConns(pid, peers)
		if err != nil {
			p.heal(cgroupRoot)
			return nil, err
		}
		for _, c := range conns {
			if cut[c] {
				continue
			}
			cut[c] = true
			lhost, lport, _ := net.SplitHostPort(c[0])
			rhost, rport, _ := net.SplitHostPort(c[1])
			if err := p.add([]string{"OUTPUT", "-p", "tcp", "-s", lhost, "--sport", lport, "-d", rhost, "--dport", rport}); err != nil {
				p.heal(cgroupRoot)
				return nil, err
			}
		}
	}
	return p, nil
}

// add installs a rule that drops what r matches, named by a comment so
// that its counters can be found.
func (p *partition) add(r []string) error {
	r = append(r, "-m", "comment", "--comment", p.ruleName(len(p.rules)), "-j", "DROP")
	// Insert at the top, ahead of any rule that accepts established
	// connections: the links already open must go dead too.
	args := append([]string{"-I"}, r...)
	if out, err := exec.Command("iptables", args...).CombinedOutput(); err != nil {
		return fmt.Errorf("iptables %s: %v: %s", strings.Join(args, " "), err, out)
	}
	p.rules = append(p.rules, r)
	return nil
}

// tcpConns returns the TCP connections of process pid to any of the
// remote addresses, as (local, remote) host:port pairs: the sockets among
// its open files, looked up in the kernel's table of IPv4 connections.
func tcpConns(pid int, remotes map[string]bool) ([][2]string, error) {
	fdDir := filepath.Join("/proc", strconv.Itoa(pid), "fd")
	fds, err := os.ReadDir(fdDir)
	if err != nil {
		return nil, err
	}
	inodes := map[string]bool{}
	for _, fd := range fds {
		link, err := os.Readlink(filepath.Join(fdDir, fd.Name()))
		if err != nil {
			continue // closed meanwhile
		}
		if inode, ok := strings.CutPrefix(link, "socket:["); ok {
			inodes[strings.TrimSuffix(inode, "]")] = true
		}
	}
	table, err := os.ReadFile(filepath.Join("/proc", strconv.Itoa(pid), "net", "tcp"))
	if err != nil {
		return nil, err
	}
	var conns [][2]string
	for _, line := range strings.Split(string(table), "\n")[1:] {
		// sl local_address rem_address st tx:rx tr:when retrnsmt uid timeout inode
		f := strings.Fields(line)
		if len(f) < 10 || !inodes[f[9]] {
			continue
		}
		local, err1 := procAddr(f[1])
		remote, err2 := procAddr(f[2])
		if err := errors.Join(err1, err2); err != nil {
			return nil, fmt.Errorf("/proc/%d/net/tcp: %q: %w", pid, line, err)
		}
		if remotes[remote] {
			conns = append(conns, [2]string{local, remote})
		}
	}
	return conns, nil
}

// procAddr decodes an address of /proc/net/tcp, such as 0100007F:2382:
// the IPv4 address as a 32-bit number in host byte order (little-endian
// on the machines this runs on), then the port.
func procAddr(s string) (string, error) {
	h, p, ok := strings.Cut(s, ":")
	ip, err1 := strconv.ParseUint(h, 16, 32)
	port, err2 := strconv.ParseUint(p, 16, 16)
	if !ok || err1 != nil || err2 != nil {
		return "", fmt.Errorf("bad address %q", s)
	}
	return net.JoinHostPort(net.IPv4(byte(ip), byte(ip>>8), byte(ip>>16), byte(ip>>24)).String(), strconv.Itoa(int(port))), nil
}

func (p *partition) ruleName(n int) string { return fmt.Sprintf("%s-rule%d", p.cgroup, n) }

// dropped returns how many packets each rule dropped so far, by chain.
// A partition whose INPUT or OUTPUT rules dropped nothing cut nothing.
func (p *partition) dropped() (map[string]int, error) {
	counts := map[string]int{}
	for n, r := range p.rules {
		out, err := exec.Command("iptables", "-v", "-S", r[0]).Output()
		if err != nil {
			return nil, fmt.Errorf("iptables -v -S %s: %w", r[0], err)
		}
		for _, line := range strings.Split(string(out), "\n") {
			f := strings.Fields(line)
			if !strings.Contains(line, " "+p.ruleName(n)+" ") {
				continue
			}
			for k := 0; k+1 < len(f); k++ {
				if f[k] == "-c" {
					packets, err := strconv.Atoi(f[k+1])
					if err != nil {
						return nil, fmt.Errorf("counters of %q: %w", line, err)
					}
					counts[r[0]] += packets
				}
			}
		}
	}
	return counts, nil
}

// heal removes the partition's rules and cgroup. It returns the first
// error but tries every step.
func (p *partition) heal(cgroupRoot string) error {
	var first error
	keep := func(err error) {
		if first == nil {
			first = err
		}
	}
	for _, r := range p.rules {
		args := append([]string{"-D"}, r...)
		if out, err := exec.Command("iptables", args...).CombinedOutput(); err != nil {
			keep(fmt.Errorf("iptables %s: %v: %s", strings.Join(args, " "), err, out))
		}
	}
	p.rules = nil
	dir := filepath.Join(cgroupRoot, p.cgroup)
	if _, err := os.Stat(dir); err != nil {
		return first
	}
	// Move the node back to its group (it may have exited meanwhile),
	// then remove the now empty one.
	if err := os.WriteFile(filepath.Join(cgroupRoot, p.home, "cgroup.procs"), []byte(strconv.Itoa(p.pid)), 0); err != nil && nodeAlive(p.pid) {
		keep(fmt.Errorf("move pid %d back to cgroup %s: %w", p.pid, p.home, err))
	}
	if err := os.Remove(dir); err != nil {
		keep(fmt.Errorf("remove cgroup %s: %w", dir, err))
	}
	return first
}

// cgroupOf returns the cgroup v2 path of a process.
func cgroupOf(pid int) (string, error) {
	b, err := os.ReadFile(filepath.Join("/proc", strconv.Itoa(pid), "cgroup"))
	if err != nil {
		return "", err
	}
	for _, line := range strings.Split(string(b), "\n") {
		if path, ok := strings.CutPrefix(line, "0::"); ok {
			return path, nil
		}
	}
	return "", fmt.Errorf("pid %d has no cgroup v2 path in /proc/%d/cgroup", pid, pid)
}

func nodeAlive(pid int) bool {
	_, err := os.Stat(filepath.Join("/proc", strconv.Itoa(pid)))
	return err == nil
}
