package fault

import (
	"fmt"
	"math"
	"sort"
	"sync"

	"github.com/anishathalye/porcupine"
)

// The history of the suite is a set of registers, one per key: a PUT sets
// the key's value, a GET returns it (or "absent" before the first PUT).
// Every PUT writes a value no other PUT writes, so a read names the one
// write it observed.

// Outcome is what a client learned about an operation.
type Outcome int

const (
	// OK means the server answered with success (or, for a GET, NoSuchKey).
	OK Outcome = iota
	// Unknown means the operation failed in a way that does not tell
	// whether it took effect: a timeout, a 503, a broken connection.
	Unknown
)

// Op is one recorded client operation. Times are nanoseconds since the
// history began, on the monotonic clock.
type Op struct {
	Client  int
	Node    int // 0-based index of the node the client sent it to
	Key     string
	Put     bool
	Value   string // written by a PUT; read by a GET ("" is absent)
	Big     bool   // a PUT of an object too big to be stored inline
	Call    int64
	Return  int64
	Outcome Outcome
	Err     string // the error of an Unknown operation
}

func (o Op) String() string {
	var what string
	switch {
	case o.Put && o.Big:
		what = fmt.Sprintf("put(%s, %s) of %d bytes", o.Key, o.Value, bigSize)
	case o.Put:
		what = fmt.Sprintf("put(%s, %s)", o.Key, o.Value)
	case o.Outcome == OK:
		what = fmt.Sprintf("get(%s) -> %s", o.Key, valueString(o.Value))
	default:
		what = fmt.Sprintf("get(%s)", o.Key)
	}
	if o.Outcome == Unknown {
		what += " failed: " + o.Err
	}
	return fmt.Sprintf("client %d via node %d: %s at [%.3fs, %.3fs]",
		o.Client, o.Node+1, what, float64(o.Call)/1e9, float64(o.Return)/1e9)
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
}

type registerOutput struct {
	value string // for a GET; "" is absent
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
		if in.put {
			return true, in.value
		}
		return output.(registerOutput).value == state.(string), state
	},
	DescribeOperation: func(input, output interface{}) string {
		in := input.(registerInput)
		if in.put {
			return fmt.Sprintf("put(%s, %s)", in.key, in.value)
		}
		if output == nil {
			return fmt.Sprintf("get(%s) -> ?", in.key)
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
func porcupineHistory(ops []Op) []porcupine.Operation {
	observed := map[string]bool{}
	for _, o := range ops {
		if !o.Put && o.Outcome == OK && o.Value != "" {
			observed[o.Value] = true
		}
	}
	var out []porcupine.Operation
	for _, o := range ops {
		in := registerInput{key: o.Key, put: o.Put, value: o.Value}
		switch {
		case o.Outcome == OK && o.Put:
			out = append(out, porcupine.Operation{ClientId: o.Client, Input: in, Call: o.Call, Return: o.Return})
		case o.Outcome == OK:
			out = append(out, porcupine.Operation{ClientId: o.Client, Input: registerInput{key: o.Key},
				Output: registerOutput{value: o.Value}, Call: o.Call, Return: o.Return})
		case o.Put && observed[o.Value]:
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
		if o.Put {
			writes[o.Value] = o
		}
	}
	var lost []string
	for _, a := range ops {
		if !a.Put || a.Outcome != OK {
			continue
		}
		v, ok := final[a.Key]
		if !ok {
			continue
		}
		if v == "" {
			lost = append(lost, fmt.Sprintf("%v: the key reads absent at the end", a))
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

// staleReads returns reads that plainly break linearizability: a read of
// the value of write w although another acknowledged write of the key
// began after w returned and returned before the read began. Porcupine
// finds every violation; these name some in plain words.
func staleReads(ops []Op) []string {
	writes := map[string]Op{}
	acked := map[string][]Op{}
	for _, o := range ops {
		if o.Put {
			writes[o.Value] = o
			if o.Outcome == OK {
				acked[o.Key] = append(acked[o.Key], o)
			}
		}
	}
	var stale []string
	for _, r := range ops {
		if r.Put || r.Outcome != OK {
			continue
		}
		w, ok := writes[r.Value]
		after := int64(-1) // the read must see any write that began after this
		if ok && w.Outcome == OK {
			after = w.Return
		} else if ok || r.Value != "" {
			continue
		}
		for _, w2 := range acked[r.Key] {
			if w2.Value != r.Value && w2.Call > after && w2.Return < r.Call {
				stale = append(stale, fmt.Sprintf("%v, but %v came before it", r, w2))
				break
			}
		}
	}
	return stale
}
