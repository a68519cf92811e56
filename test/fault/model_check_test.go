package fault

import (
	"fmt"
	"math"
	"testing"

	"github.com/anishathalye/porcupine"
)

// The checks of the suite, on small hand-made histories whose verdict is
// known: they must catch what they are meant to catch.

func put(client int, key, value string, call, ret int64) Op {
	return Op{Client: client, Key: key, Put: true, Value: value, Call: call, Return: ret}
}

func unknownPut(client int, key, value string, call, ret int64) Op {
	o := put(client, key, value, call, ret)
	o.Outcome, o.Err = Unknown, "timeout"
	return o
}

func read(client int, key, value string, call, ret int64) Op {
	return Op{Client: client, Key: key, Value: value, Call: call, Return: ret}
}

func TestRegisterModel(t *testing.T) {
	for _, tc := range []struct {
		name string
		ops  []Op
		want porcupine.CheckResult
	}{
		{"sequential", []Op{
			read(0, "k", "", 0, 1), put(0, "k", "a", 2, 3), read(1, "k", "a", 4, 5),
		}, porcupine.Ok},
		{"concurrent read sees either value", []Op{
			put(0, "k", "a", 0, 10), put(0, "k", "b", 20, 30), read(1, "k", "a", 15, 25),
		}, porcupine.Ok},
		{"stale read", []Op{
			put(0, "k", "a", 0, 10), put(0, "k", "b", 20, 30), read(1, "k", "a", 40, 50),
		}, porcupine.Illegal},
		{"read of a value never written", []Op{
			put(0, "k", "a", 0, 10), read(1, "k", "x", 40, 50),
		}, porcupine.Illegal},
		{"unknown write takes effect long after its client gave up", []Op{
			put(0, "k", "a", 0, 10), unknownPut(1, "k", "b", 5, 8), read(2, "k", "a", 20, 30), read(2, "k", "b", 100, 110),
		}, porcupine.Ok},
		{"unknown write seen, then unseen", []Op{
			put(0, "k", "a", 0, 10), unknownPut(1, "k", "b", 20, 25), read(2, "k", "b", 30, 40), read(2, "k", "a", 50, 60),
		}, porcupine.Illegal},
		{"unknown write seen before its call", []Op{
			read(0, "k", "b", 0, 10), unknownPut(1, "k", "b", 20, 25),
		}, porcupine.Illegal},
		{"keys are independent", []Op{
			put(0, "k", "a", 0, 10), put(1, "j", "b", 0, 10), read(2, "k", "a", 20, 30), read(2, "j", "b", 20, 30),
		}, porcupine.Ok},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := porcupine.CheckOperationsTimeout(registerModel, porcupineHistory(tc.ops), 10e9)
			if got != tc.want {
				t.Fatalf("porcupine says %s, want %s", got, tc.want)
			}
		})
	}
}

func del(client int, key string, call, ret int64) Op {
	return Op{Client: client, Key: key, Put: true, Delete: true, Call: call, Return: ret}
}

func listing(client int, call, ret int64, keys ...string) Op {
	listed := map[string]bool{}
	for _, k := range keys {
		listed[k] = true
	}
	return Op{Client: client, List: true, Listed: listed, Call: call, Return: ret}
}

// TestSetModel: the set check over PUT, DELETE and LIST requires each key's
// presence in a listing to be linearizable, and allows what a listing does
// not promise: two listings that saw two writes of different keys in
// opposite orders.
func TestSetModel(t *testing.T) {
	for _, tc := range []struct {
		name string
		ops  []Op
		want porcupine.CheckResult
	}{
		{"list sees an acknowledged put", []Op{
			put(0, "k", "a", 0, 10), listing(1, 20, 30, "k"),
		}, porcupine.Ok},
		{"list misses a put acknowledged before it began", []Op{
			put(0, "k", "a", 0, 10), listing(1, 20, 30),
		}, porcupine.Illegal},
		{"list shows a key deleted before it began", []Op{
			put(0, "k", "a", 0, 10), del(0, "k", 20, 30), listing(1, 40, 50, "k"),
		}, porcupine.Illegal},
		{"list shows a key written after it ended", []Op{
			listing(1, 0, 10, "k"), put(0, "k", "a", 20, 30),
		}, porcupine.Illegal},
		{"list concurrent with a delete may see either", []Op{
			put(0, "k", "a", 0, 10), del(0, "k", 20, 40), listing(1, 25, 35, "k"), listing(2, 25, 35),
		}, porcupine.Ok},
		{"get after a delete reads absent", []Op{
			put(0, "k", "a", 0, 10), del(0, "k", 20, 30), read(1, "k", "", 40, 50),
		}, porcupine.Ok},
		{"get after a delete reads the old value", []Op{
			put(0, "k", "a", 0, 10), del(0, "k", 20, 30), read(1, "k", "a", 40, 50),
		}, porcupine.Illegal},
		{"unknown delete seen by a later list", []Op{
			put(0, "k", "a", 0, 10), func() Op { d := del(0, "k", 20, 25); d.Outcome = Unknown; return d }(), listing(1, 40, 50),
		}, porcupine.Ok},
		{"crossed listings are allowed (no single cut across keys)", []Op{
			put(0, "j", "x", 0, 10), put(0, "k", "y", 0, 10),
			del(1, "j", 20, 40), put(2, "m", "z", 20, 40),
			listing(3, 25, 35, "k", "m"), // saw the delete of j and the put of m
			listing(4, 25, 35, "j", "k"), // saw neither: each key on its own is linearizable
		}, porcupine.Ok},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := porcupine.CheckOperationsTimeout(registerModel, porcupineHistory(tc.ops), 10e9)
			if got != tc.want {
				t.Fatalf("porcupine says %s, want %s", got, tc.want)
			}
		})
	}
}

func cas(client int, key, expect, value string, outcome Outcome, call, ret int64) Op {
	o := put(client, key, value, call, ret)
	o.Cond, o.Expect, o.Outcome = true, expect, outcome
	return o
}

// TestCASModel: conditional writes apply only when the key holds what they
// expect: two writers of the same expected value cannot both succeed.
// (Refusals are not checked: see porcupineHistory.)
func TestCASModel(t *testing.T) {
	for _, tc := range []struct {
		name string
		ops  []Op
		want porcupine.CheckResult
	}{
		{"create if absent, then refused", []Op{
			cas(0, "k", "", "a", OK, 0, 10), cas(1, "k", "", "b", Refused, 20, 30),
		}, porcupine.Ok},
		{"two creators both succeed", []Op{
			cas(0, "k", "", "a", OK, 0, 10), cas(1, "k", "", "b", OK, 5, 15),
		}, porcupine.Illegal},
		{"compare-and-swap on the value read", []Op{
			put(0, "k", "a", 0, 10), read(1, "k", "a", 20, 30), cas(1, "k", "a", "b", OK, 40, 50), read(2, "k", "b", 60, 70),
		}, porcupine.Ok},
		{"two swaps from the same value both succeed", []Op{
			put(0, "k", "a", 0, 10), cas(1, "k", "a", "b", OK, 20, 30), cas(2, "k", "a", "c", OK, 25, 35),
		}, porcupine.Illegal},
		{"conditional delete of a changed value refused", []Op{
			put(0, "k", "a", 0, 10), put(0, "k", "b", 20, 30),
			func() Op { d := del(1, "k", 40, 50); d.Cond, d.Expect, d.Outcome = true, "a", Refused; return d }(),
			read(2, "k", "b", 60, 70),
		}, porcupine.Ok},
		{"unknown conditional delete whose condition failed changes nothing", []Op{
			put(0, "k", "a", 0, 10), put(0, "k", "b", 20, 30),
			func() Op { d := del(1, "k", 40, 50); d.Cond, d.Expect, d.Outcome = true, "a", Unknown; return d }(),
			read(2, "k", "b", 60, 70), del(0, "k", 80, 90), read(2, "k", "", 100, 110),
		}, porcupine.Ok},
		{"unknown put seen only by a listing", []Op{
			listing(0, 0, 10), unknownPut(1, "k", "a", 5, 8), listing(0, 20, 30, "k"),
		}, porcupine.Ok},
		{"conditional delete of a changed value applied", []Op{
			put(0, "k", "a", 0, 10), put(0, "k", "b", 20, 30),
			func() Op { d := del(1, "k", 40, 50); d.Cond, d.Expect = true, "a"; return d }(),
		}, porcupine.Illegal},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := porcupine.CheckOperationsTimeout(registerModel, porcupineHistory(tc.ops), 10e9)
			if got != tc.want {
				t.Fatalf("porcupine says %s, want %s", got, tc.want)
			}
		})
	}
}

func TestPorcupineHistory(t *testing.T) {
	failedRead := read(3, "k", "", 1, 2)
	failedRead.Outcome = Unknown
	ops := []Op{
		put(0, "k", "a", 0, 10),
		unknownPut(1, "k", "seen", 5, 8),
		unknownPut(2, "k", "unseen", 5, 8),
		failedRead,
		read(4, "k", "seen", 20, 30),
	}
	h := porcupineHistory(ops)
	if len(h) != 3 {
		t.Fatalf("history has %d operations, want 3 (an unseen unknown write and a failed read are left out): %v", len(h), h)
	}
	if in := h[1].Input.(registerInput); in.value != "seen" || h[1].Return != math.MaxInt64 {
		t.Fatalf("unknown write recorded as %+v returning at %d, want it to return at +infinity", in, h[1].Return)
	}
}

func TestLostWrites(t *testing.T) {
	ops := []Op{
		put(0, "k", "a", 0, 10),
		put(0, "k", "b", 20, 30),
		unknownPut(1, "k", "c", 25, 28),
		put(2, "j", "x", 0, 10),
	}
	for _, tc := range []struct {
		final map[string]string
		lost  int
	}{
		{map[string]string{"k": "b", "j": "x"}, 0},
		{map[string]string{"k": "c", "j": "x"}, 0}, // c may follow b
		{map[string]string{"k": "a", "j": "x"}, 1}, // b is lost
		{map[string]string{"k": "b", "j": ""}, 1},  // x is lost
		{map[string]string{"k": "z", "j": "x"}, 2}, // nobody wrote z
	} {
		if got := lostWrites(ops, tc.final); len(got) != tc.lost {
			t.Errorf("final %v: %d lost writes %q, want %d", tc.final, len(got), got, tc.lost)
		}
	}
	// A delete that may follow an acknowledged put explains an absent key;
	// one that returned before the put was called does not.
	for _, tc := range []struct {
		d    Op
		lost int
	}{{del(3, "j", 5, 15), 0}, {del(3, "j", -20, -10), 1}} {
		final := map[string]string{"k": "b", "j": ""}
		if got := lostWrites(append(ops, tc.d), final); len(got) != tc.lost {
			t.Errorf("with %v: %d lost writes %q, want %d", tc.d, len(got), got, tc.lost)
		}
	}
	for _, tc := range []struct {
		final map[string]string
		lost  int
	}{
		{map[string]string{"k": "b", "j": "x"}, 0},
	} {
		if got := lostWrites(ops, tc.final); len(got) != tc.lost {
			t.Errorf("final %v: %d lost writes %q, want %d", tc.final, len(got), got, tc.lost)
		}
	}
}

func TestMinorityAcks(t *testing.T) {
	faults := []fault{{kind: "partition", node: 1, start: 100, end: 200}, {kind: "pause", node: 0, start: 300, end: 400}}
	acked := put(0, "k", "a", 110, 150)
	acked.Node = 1
	late := put(0, "k", "b", 150, 250) // acknowledged after the partition healed
	late.Node = 1
	other := put(0, "k", "c", 110, 150) // through the majority side
	other.Node = 2
	paused := put(0, "k", "d", 310, 350)
	got := minorityAcks([]Op{acked, late, other, paused}, faults)
	if len(got) != 1 || got[0].Value != "a" {
		t.Fatalf("minority acknowledgements %v, want just put(k, a)", got)
	}
}

// TestStalls: the progress check counts acknowledged writes of the other
// nodes within each fault, and needs a big one somewhere.
func TestStalls(t *testing.T) {
	faults := []fault{{kind: "kill", node: 0, start: 100, end: 200}}
	var ops []Op
	for i := range minProgress {
		o := put(1, "k", fmt.Sprint(i), 110+int64(i), 120+int64(i))
		o.Node = 1
		ops = append(ops, o)
	}
	ops[0].Big = true
	if got := stalls(ops, faults); len(got) != 0 {
		t.Fatalf("enough progress reported as %q", got)
	}
	ops[0].Node = 0 // through the killed node: does not count
	if got := stalls(ops, faults); len(got) != 2 {
		t.Fatalf("a stall and no big write: got %q", got)
	}
}

func TestStaleReads(t *testing.T) {
	ops := []Op{
		put(0, "k", "a", 0, 10),
		put(0, "k", "b", 20, 30),
		read(1, "k", "a", 15, 25), // concurrent with b: fine
		read(1, "k", "a", 40, 50), // after b: stale
		read(1, "k", "", 40, 50),  // absent after a and b: stale
		read(1, "k", "b", 40, 50),
	}
	if got := staleReads(ops); len(got) != 2 {
		t.Fatalf("stale reads %q, want the two reads at 40 of a and of absent", got)
	}
	// Deletes and listings.
	ops = []Op{
		put(0, "k", "a", 0, 10),
		del(0, "k", 20, 30),
		read(1, "k", "", 40, 50),  // after the delete: fine
		read(1, "k", "a", 40, 50), // after the delete: stale
		listing(1, 40, 50, "k"),   // has k after the delete: stale
		listing(1, 5, 15),         // concurrent with the put: fine
		put(0, "j", "b", 0, 10),
		listing(1, 40, 50), // lacks j, acknowledged before: stale
	}
	// The listing with k lacks j too: four.
	if got := staleReads(ops); len(got) != 4 {
		t.Fatalf("stale reads %q, want 4", got)
	}
}

func TestProcAddr(t *testing.T) {
	for in, want := range map[string]string{"0100007F:2382": "127.0.0.1:9090", "030C2F7F:A1B2": "127.47.12.3:41394"} {
		if got, err := procAddr(in); err != nil || got != want {
			t.Errorf("procAddr(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	if _, err := procAddr("zz"); err == nil {
		t.Errorf("procAddr accepts zz")
	}
}
