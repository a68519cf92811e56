package fault

import (
	"fmt"
	"math"
	"sort"
	"sync"

	"github.com/anishathalye/porcupine"
)

// The history of the suite is a set of registers, one per key: a PUT sets
// the key's value, a DELETE makes it absent, a GET returns it (or "absent"
// before the first PUT). Every PUT writes a value no other PUT writes, so a
// read names the one write it observed. A LIST of the bucket is, for each
// key, a read of whether the key is present: the set model. Each key is
// checked on its own, so a LIST is required to be linearizable key by key
// (each key's presence read at some instant within the LIST), not to be
// one cut of all keys: that is what a listing guarantees today (see
// docs/architecture.md, "Reads").

// Outcome is what a client learned about an operation.
type Outcome int

const (
	// OK means the server answered with success (or, for a GET, NoSuchKey).
	OK Outcome = iota
	// Unknown means the operation failed in a way that does not tell
	// whether it took effect: a timeout, a 503, a broken connection.
	Unknown
	// Refused means a conditional write's condition did not hold (412
	// PreconditionFailed, or 404 NoSuchKey for If-Match on a missing key):
	// it surely had no effect, and it read the key's state.
	Refused
)

// Op is one recorded client operation. Times are nanoseconds since the
// history began, on the monotonic clock.
type Op struct {
	Client int
	Node   int // 0-based index of the node the client sent it to
	Key    string
	Put    bool // a write: a PUT, or a DELETE (Delete, Value "")
	Delete bool
	// Cond makes a write conditional (the CAS register): it applies only if
	// the key holds Expect ("" for absent: If-None-Match *, else If-Match
	// with Expect's ETag).
	Cond    bool
	Expect  string
	List    bool            // a LIST of the bucket (Key is "")
	Listed  map[string]bool // the keys a LIST returned
	Value   string          // written by a PUT; read by a GET ("" is absent)
	Big     bool            // a PUT of an object too big to be stored inline
	Call    int64
	Return  int64
	Outcome Outcome
	Err     string // the error of an Unknown operation
}

func (o Op) String() string {
	var what string
	switch {
	case o.Delete:
		what = fmt.Sprintf("delete(%s)", o.Key)
	case o.List && o.Outcome == OK:
		what = fmt.Sprintf("list -> %v", sortedKeys(o.Listed))
	case o.List:
		what = "list"
	case o.Put && o.Big:
		what = fmt.Sprintf("put(%s, %s) of %d bytes", o.Key, o.Value, bigSize)
	case o.Put:
		what = fmt.Sprintf("put(%s, %s)", o.Key, o.Value)
	case o.Outcome == OK:
		what = fmt.Sprintf("get(%s) -> %s", o.Key, valueString(o.Value))
	default:
		what = fmt.Sprintf("get(%s)", o.Key)
	}
	if o.Cond {
		what += " if " + valueString(o.Expect)
	}
	switch o.Outcome {
	case Unknown:
		what += " failed: " + o.Err
	case Refused:
		what += " refused: " + o.Err
	}
	return fmt.Sprintf("client %d via node %d: %s at [%.3fs, %.3fs]",
		o.Client, o.Node+1, what, float64(o.Call)/1e9, float64(o.Return)/1e9)
}

func sortedKeys(m map[string]bool) []string {
	var ks []string
	for k := range m {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	return ks
}

func valueString(v string) string {
	if v == "" {
		return "absent"
	}
	return v
}

// History collects operations from concurrent clients.
type History struct {
	mu  sync.Mutex
	ops []Op
}

// Add records an operation.
func (h *History) Add(o Op) {
	h.mu.Lock()
	h.ops = append(h.ops, o)
	h.mu.Unlock()
}

// Ops returns a copy of the recorded operations.
func (h *History) Ops() []Op {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]Op(nil), h.ops...)
}

// registerInput and registerOutput are porcupine's view of an Op.
type registerInput struct {
	key   string
	put   bool
	value string
	// cond: a conditional write, which applies only if the key holds
	// expect.
	cond   bool
	expect string
}

type registerOutput struct {
	value string // for a GET; "" is absent
	// listed marks the read of one key by a LIST, which sees only
	// whether the key is present.
	listed, present bool
	// refused: a conditional write whose condition did not hold.
	refused bool
}

// registerModel is a register per key. Partitioning by key lets porcupine
// check each key's (much shorter) history on its own.
var registerModel = porcupine.Model{
	Partition: func(history []porcupine.Operation) [][]porcupine.Operation {
		byKey := map[string][]porcupine.Operation{}
		var keys []string
		for _, op := range history {
			k := op.Input.(registerInput).key
			if _, ok := byKey[k]; !ok {
				keys = append(keys, k)
			}
			byKey[k] = append(byKey[k], op)
		}
		sort.Strings(keys)
		var parts [][]porcupine.Operation
		for _, k := range keys {
			parts = append(parts, byKey[k])
		}
		return parts
	},
	Init: func() interface{} { return "" },
	Step: func(state, input, output interface{}) (bool, interface{}) {
		in := input.(registerInput)
		if in.put && in.cond {
			if output == nil {
				// Outcome unknown: at its point, apply evaluated the
				// condition, and applied the write or refused it.
				if state.(string) == in.expect {
					return true, in.value
				}
				return true, state
			}
			// Acknowledged: the condition held.
			return state.(string) == in.expect, in.value
		}
		if in.put {
			return true, in.value
		}
		out := output.(registerOutput)
		if out.listed {
			return out.present == (state.(string) != ""), state
		}
		return out.value == state.(string), state
	},
	DescribeOperation: func(input, output interface{}) string {
		in := input.(registerInput)
		what := fmt.Sprintf("put(%s, %s)", in.key, in.value)
		if in.put && in.value == "" {
			what = fmt.Sprintf("delete(%s)", in.key)
		}
		if in.put && in.cond {
			what += " if " + valueString(in.expect)
			if out, ok := output.(registerOutput); ok && out.refused {
				what += " refused"
			}
		}
		if in.put {
			return what
		}
		if output == nil {
			return fmt.Sprintf("get(%s) -> ?", in.key)
		}
		if out := output.(registerOutput); out.listed {
			return fmt.Sprintf("list has %s: %v", in.key, out.present)
		}
		return fmt.Sprintf("get(%s) -> %s", in.key, valueString(output.(registerOutput).value))
	},
	DescribeState: func(state interface{}) string { return valueString(state.(string)) },
}

// porcupineHistory turns recorded operations into porcupine's form.
//
// A PUT whose outcome is unknown may have taken effect at any time after
// its call, even long after the client gave up (its raft entry can commit
// later), so it returns at +infinity. One that no read ever observed is
// left out: such a write can always be linearized at the very end of the
// history, where it changes nothing any read saw, so dropping it keeps
// the verdict and spares porcupine an operation concurrent with all that
// follows. (The final reads are in the history, so a write that took
// effect and was never overwritten is observed.) Failed GETs are not
// recorded at all: they observed nothing.
//
// A DELETE is a write of "absent". An unknown one is kept only if a read of
// its key that ended after it was called observed the key absent (the same
// argument: otherwise it can be placed at the end); an unknown PUT is kept
// too if a LIST that ended after its call saw its key present (a listing
// sees no value). An unknown conditional write, wherever it is placed,
// applies if its condition holds there and changes nothing otherwise. A LIST becomes one read per key
// of the history, each of whether the key is present, over the LIST's
// interval.
func porcupineHistory(ops []Op) []porcupine.Operation {
	observed := map[string]bool{}
	var keys []string
	seen := map[string]bool{}
	for _, o := range ops {
		if !o.Put && !o.List && o.Outcome == OK && o.Value != "" {
			observed[o.Value] = true
		}
		if o.Key != "" && !seen[o.Key] {
			seen[o.Key] = true
			keys = append(keys, o.Key)
		}
	}
	sort.Strings(keys)
	// absentUntil[k] is the latest return of a read that saw k absent: an
	// unknown DELETE called before it may be what that read saw. Likewise
	// presentUntil[k] for a LIST that saw k, and an unknown PUT (a LIST
	// sees no value, so it observes whichever PUT made the key present).
	absentUntil := map[string]int64{}
	presentUntil := map[string]int64{}
	for _, o := range ops {
		if o.Outcome != OK || o.Put {
			continue
		}
		if o.List {
			for _, k := range keys {
				if !o.Listed[k] {
					absentUntil[k] = max(absentUntil[k], o.Return)
				} else {
					presentUntil[k] = max(presentUntil[k], o.Return)
				}
			}
		} else if o.Value == "" {
			absentUntil[o.Key] = max(absentUntil[o.Key], o.Return)
		}
	}
	var out []porcupine.Operation
	for _, o := range ops {
		in := registerInput{key: o.Key, put: o.Put, value: o.Value, cond: o.Cond, expect: o.Expect}
		switch {
		case o.Outcome == Refused:
			// Left out: a refusal says the key held something other than
			// what it expected, which an unknown write that no read
			// observed (and that is left out, see above) may explain.
			// Checking refusals would mean keeping every unknown write,
			// which porcupine cannot afford. The successes are checked:
			// each must find the key holding what it expected.
		case o.List && o.Outcome == OK:
			for _, k := range keys {
				out = append(out, porcupine.Operation{ClientId: o.Client, Input: registerInput{key: k},
					Output: registerOutput{listed: true, present: o.Listed[k]}, Call: o.Call, Return: o.Return})
			}
		case o.List:
		case o.Delete && o.Outcome != OK:
			if absentUntil[o.Key] > o.Call {
				out = append(out, porcupine.Operation{ClientId: o.Client, Input: in, Call: o.Call, Return: math.MaxInt64})
			}
		case o.Outcome == OK && o.Put:
			// Acknowledged writes have an output; unknown ones none.
			out = append(out, porcupine.Operation{ClientId: o.Client, Input: in, Output: registerOutput{}, Call: o.Call, Return: o.Return})
		case o.Outcome == OK:
			out = append(out, porcupine.Operation{ClientId: o.Client, Input: registerInput{key: o.Key},
				Output: registerOutput{value: o.Value}, Call: o.Call, Return: o.Return})
		case o.Put && (observed[o.Value] || presentUntil[o.Key] > o.Call):
			out = append(out, porcupine.Operation{ClientId: o.Client, Input: in, Call: o.Call, Return: math.MaxInt64})
		}
	}
	return out
}

// lostWrites checks that every acknowledged PUT is still readable at the
// end: final maps each key to the value that every node returned after the
// cluster healed. An acknowledged write a is lost when the final value was
// written by a PUT w that returned before a was called (w cannot be the
// later of the two), or when the key reads as absent although a write was
// acknowledged. Porcupine finds these too, as the final reads are in its
// history; this check names the lost write in plain words.
func lostWrites(ops []Op, final map[string]string) []string {
	writes := map[string]Op{}
	for _, o := range ops {
		if o.Put && !o.Delete {
			writes[o.Value] = o
		}
	}
	var lost []string
	for _, a := range ops {
		if !a.Put || a.Delete || a.Outcome != OK {
			continue
		}
		v, ok := final[a.Key]
		if !ok {
			continue
		}
		if v == "" {
			if !deletedAfter(ops, a) {
				lost = append(lost, fmt.Sprintf("%v: the key reads absent at the end", a))
			}
			continue
		}
		w, ok := writes[v]
		if !ok {
			lost = append(lost, fmt.Sprintf("%v: the key reads %s at the end, which no client wrote", a, v))
			continue
		}
		if w.Outcome == OK && w.Return < a.Call {
			lost = append(lost, fmt.Sprintf("%v: the key reads %s at the end, written by %v before it", a, v, w))
		}
	}
	return lost
}

// deletedAfter reports whether a DELETE of a's key may have taken effect
// after a: one not known to have returned before a was called.
func deletedAfter(ops []Op, a Op) bool {
	for _, d := range ops {
		if d.Delete && d.Key == a.Key && (d.Outcome == Unknown || d.Return > a.Call) && d.Outcome != Refused {
			return true
		}
	}
	return false
}

// staleReads returns reads that plainly break linearizability: a read of
// the value of write w although another acknowledged write of the key
// (a PUT of another value, or a DELETE) began after w returned and
// returned before the read began; a read of "absent" (by a GET, or a LIST
// that lacks the key) after an acknowledged PUT that no DELETE can have
// followed; and a LIST that has a key after an acknowledged DELETE that
// no PUT can have followed. Porcupine finds every violation; these name
// some in plain words.
func staleReads(ops []Op) []string {
	writes := map[string]Op{}
	acked := map[string][]Op{}
	var keys []string
	for _, o := range ops {
		if o.Put {
			if !o.Delete {
				writes[o.Value] = o
			}
			if o.Outcome == OK {
				if _, ok := acked[o.Key]; !ok {
					keys = append(keys, o.Key)
				}
				acked[o.Key] = append(acked[o.Key], o)
			}
		}
	}
	sort.Strings(keys)
	// mayFollow: a write of key of the given kind that may have taken
	// effect after w and before r ended.
	mayFollow := func(key string, deletes bool, w, r Op) bool {
		for _, o := range ops {
			if o.Put && o.Key == key && o.Delete == deletes && o.Outcome != Refused && o.Call < r.Return && (o.Outcome != OK || o.Return > w.Call) {
				return true
			}
		}
		return false
	}
	var stale []string
	for _, r := range ops {
		if r.Put || r.Outcome != OK {
			continue
		}
		if r.List {
			for _, k := range keys {
				for _, w := range acked[k] {
					if w.Return >= r.Call {
						continue
					}
					if !w.Delete && !r.Listed[k] && !mayFollow(k, true, w, r) {
						stale = append(stale, fmt.Sprintf("%v lacks %s, but %v came before it", r, k, w))
						break
					}
					if w.Delete && r.Listed[k] && !mayFollow(k, false, w, r) {
						stale = append(stale, fmt.Sprintf("%v has %s, but %v came before it", r, k, w))
						break
					}
				}
			}
			continue
		}
		if r.Value == "" {
			for _, w := range acked[r.Key] {
				if !w.Delete && w.Return < r.Call && !mayFollow(r.Key, true, w, r) {
					stale = append(stale, fmt.Sprintf("%v, but %v came before it", r, w))
					break
				}
			}
			continue
		}
		w, ok := writes[r.Value]
		if !ok || w.Outcome != OK {
			continue
		}
		for _, w2 := range acked[r.Key] {
			if w2.Value != r.Value && w2.Call > w.Return && w2.Return < r.Call {
				stale = append(stale, fmt.Sprintf("%v, but %v came before it", r, w2))
				break
			}
		}
	}
	return stale
}
