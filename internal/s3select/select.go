// Package s3select runs S3 SelectObjectContent requests: SQL over CSV, JSON
// and Parquet objects, answered in the AWS event stream format.
//
// A query streams the object's records through the WHERE clause and the
// SELECT list. For Parquet it first drops the row groups, and inside them
// the pages, whose statistics prove that no row can match (predicate
// pushdown) and reads only the column chunks the query references (column
// pruning), so BytesScanned, counted at the source, is often a small
// fraction of the object.
package s3select

import (
	"context"
	"io"
	"strconv"
	"time"

	"github.com/anode/anode/internal/parquet"
	"github.com/anode/anode/internal/s3err"
)

// Options switch the Parquet optimisations; both are on in production and
// can be turned off to measure their effect.
type Options struct {
	PredicatePushdown bool
	ColumnPruning     bool

	// noPageIndex turns off page pruning alone, for tests.
	noPageIndex bool
}

// DefaultOptions enables every optimisation.
func DefaultOptions() Options { return Options{PredicatePushdown: true, ColumnPruning: true} }

// Stats are the byte counts reported in Stats and Progress events.
type Stats struct {
	BytesScanned   int64 // read from the source
	BytesProcessed int64 // uncompressed bytes the query went through
	BytesReturned  int64 // record payload bytes sent
}

// recordsEventSize is the payload size at which a Records event is sent.
const recordsEventSize = 64 << 10

// Intervals of Progress events (when asked for) and Cont keep-alives.
var (
	progressInterval = time.Second
	contInterval     = 5 * time.Second
)

// Run executes req against src and writes the event stream to w (see
// Execute).
func Run(ctx context.Context, req *Request, src Source, footer *parquet.Footer, opts Options, w io.Writer) error {
	_, err := Execute(ctx, req, src, footer, opts, w)
	return err
}

// Execute executes req against src, writing the event stream to w, and
// returns the final statistics. footer, the object's parsed Parquet footer,
// may be nil. It returns an error only when nothing has been written to w
// yet, so the caller can still answer with an S3 XML error; an error after
// streaming began is sent as an error event. w is flushed after each event
// when it is an http.Flusher.
func Execute(ctx context.Context, req *Request, src Source, footer *parquet.Footer, opts Options, w io.Writer) (Stats, error) {
	counted := &countingReaderAt{r: src}
	ew := newEventWriter(w)
	var st Stats
	stats := func(rr recordReader) Stats {
		st.BytesScanned = counted.n.Load()
		if rr != nil {
			st.BytesProcessed = rr.processed()
		}
		return st
	}
	fail := func(err error) (Stats, error) {
		recordMetrics(st)
		if !ew.started {
			return st, err
		}
		e := s3err.As(err)
		ew.error(e.Code, e.Message)
		return st, nil
	}

	var rr recordReader
	var err error
	switch req.Input.Format {
	case FormatCSV:
		rr, err = newCSVReader(sourceOf(counted, src.Size()), req)
	case FormatJSON:
		rr, err = newJSONReader(sourceOf(counted, src.Size()), req)
	case FormatParquet:
		rr, err = newParquetReader(src, counted, footer, req, opts)
	default:
		err = ErrInvalidDataSource
	}
	if err != nil {
		stats(nil)
		return fail(err)
	}

	q := req.Query
	ev := &evaluator{now: time.Now().UTC()}
	var out recordWriter = jsonWriter{delim: req.Output.JSONRecordDelimiter}
	if req.Output.Format == FormatCSV {
		out = csvWriter{opts: req.Output.CSV, always: req.Output.CSV.QuoteFields == "ALWAYS"}
	}
	names := itemNames(q)
	index := newKeyIndex(names)
	var aggs []aggState
	if q.Aggregate() {
		aggs = make([]aggState, len(q.aggs))
	}

	buf := make([]byte, 0, recordsEventSize+4096)
	lastEvent, lastProgress := time.Now(), time.Now()
	flush := func() error {
		if len(buf) == 0 {
			return nil
		}
		st.BytesReturned += int64(len(buf))
		if err := ew.records(buf); err != nil {
			return err
		}
		buf = buf[:0]
		lastEvent = time.Now()
		return nil
	}
	emit := func(rec *object) error {
		buf = out.write(buf, rec)
		if len(buf) >= recordsEventSize {
			return flush()
		}
		return nil
	}

	var emitted int64
	for n := 0; ; n++ {
		if q.Limit >= 0 && emitted >= q.Limit && !q.Aggregate() {
			break
		}
		if n&255 == 255 {
			if err := ctx.Err(); err != nil {
				stats(rr)
				return fail(err)
			}
			now := time.Now()
			if req.Progress && now.Sub(lastProgress) >= progressInterval {
				lastProgress, lastEvent = now, now
				if err := ew.progress(stats(rr)); err != nil {
					return fail(err)
				}
			} else if now.Sub(lastEvent) >= contInterval {
				lastEvent = now
				if err := ew.cont(); err != nil {
					return fail(err)
				}
			}
		}
		rec, err := rr.next()
		if err == io.EOF {
			break
		}
		if err != nil {
			stats(rr)
			return fail(err)
		}
		if q.Where != nil {
			ok, err := ev.eval(q.Where, rec)
			if err != nil {
				stats(rr)
				return fail(err)
			}
			if !truthy(ok) {
				continue
			}
		}
		if aggs != nil {
			for i, c := range q.aggs {
				if err := aggs[i].add(ev, c, rec); err != nil {
					stats(rr)
					return fail(err)
				}
			}
			continue
		}
		var res *object
		if q.Star {
			o, ok := rec.(*object)
			if !ok {
				o = &object{keys: []string{"_1"}, vals: []any{rec}}
			}
			res = o
		} else {
			res = &object{keys: names, vals: make([]any, len(q.Items)), index: index}
			for i, it := range q.Items {
				v, err := ev.eval(it.Expr, rec)
				if err != nil {
					stats(rr)
					return fail(err)
				}
				res.vals[i] = v
			}
		}
		if err := emit(res); err != nil {
			return fail(err)
		}
		emitted++
	}
	if aggs != nil && q.Limit != 0 {
		ev.aggVals = make([]any, len(aggs))
		for i, c := range q.aggs {
			ev.aggVals[i] = aggs[i].result(c)
		}
		res := &object{keys: names, vals: make([]any, len(q.Items)), index: index}
		for i, it := range q.Items {
			v, err := ev.eval(it.Expr, nil)
			if err != nil {
				stats(rr)
				return fail(err)
			}
			res.vals[i] = v
		}
		if err := emit(res); err != nil {
			return fail(err)
		}
	}
	if err := flush(); err != nil {
		return fail(err)
	}
	stats(rr)
	if err := ew.stats(st); err != nil {
		return fail(err)
	}
	if err := ew.end(); err != nil {
		return fail(err)
	}
	recordMetrics(st)
	return st, nil
}

// sourceOf pairs a reader with a size.
func sourceOf(r io.ReaderAt, size int64) Source { return sizedReaderAt{r, size} }

type sizedReaderAt struct {
	io.ReaderAt
	size int64
}

func (s sizedReaderAt) Size() int64 { return s.size }

// itemNames returns the output field names of the SELECT list: the alias,
// else the column's name, else _N.
func itemNames(q *Query) []string {
	names := make([]string, len(q.Items))
	for i, it := range q.Items {
		switch {
		case it.Alias != "":
			names[i] = it.Alias
		default:
			if c, ok := it.Expr.(*columnRef); ok && len(c.path) > 0 && c.path[len(c.path)-1].kind == pathName {
				names[i] = c.path[len(c.path)-1].name
			} else {
				names[i] = "_" + strconv.Itoa(i+1)
			}
		}
	}
	return names
}
