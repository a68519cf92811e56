package s3select

import (
	"errors"
	"io"
	"math"
	"strings"
	"time"

	pq "github.com/parquet-go/parquet-go"
	"github.com/parquet-go/parquet-go/format"

	"github.com/anode/anode/internal/parquet"
)

// leafCol is a Parquet leaf column the query reads.
type leafCol struct {
	index  int      // position among the file's leaf columns
	path   []string // path in the schema
	maxRep int
	maxDef int
	conv   func(pq.Value) any
}

// parquetReader reads the needed column chunks of the row groups that may
// hold matching rows, and assembles rows from them. Inside a row group it
// reads only the pages that may hold matching rows when the page indexes
// allow (see pageRanges).
type parquetReader struct {
	file     *pq.File
	src      io.ReaderAt // counting reader over the source
	leaves   []*pq.Column
	cols     []*leafCol
	where    Expr  // for page pruning; nil when off
	groups   []int // row groups to read, in order
	gi       int
	cursors  []*colCursor
	ranges   []rowRange // rows of the current row group to read
	ri       int        // next range
	pos      int64      // row the cursors are at
	left     int64      // rows left in the current range
	procd    int64
	topKeys  []string
	topIndex *keyIndex
	// RowGroupsSkipped counts row groups pruned by statistics.
	skipped int
}

func newParquetReader(src Source, counted io.ReaderAt, footer *parquet.Footer, req *Request, opts Options) (*parquetReader, error) {
	f, err := parquet.Open(counted, src.Size(), footer)
	if err != nil {
		return nil, ErrParquetParsingError.WithMessage("Cannot read the Parquet footer: %v", err)
	}
	q := req.Query
	leaves := leafColumns(f.Root())
	r := &parquetReader{file: f, src: counted, leaves: leaves}
	for i, l := range leaves {
		path := l.Path()
		if opts.ColumnPruning && !q.allColumns && !q.columns[strings.ToLower(path[0])] && !q.columns[path[0]] {
			continue
		}
		conv, err := converter(l.Type())
		if err != nil {
			return nil, err
		}
		r.cols = append(r.cols, &leafCol{index: i, path: path, maxRep: l.MaxRepetitionLevel(), maxDef: l.MaxDefinitionLevel(), conv: conv})
	}
	seen := map[string]bool{}
	for _, c := range r.cols {
		if !seen[c.path[0]] {
			seen[c.path[0]] = true
			r.topKeys = append(r.topKeys, c.path[0])
		}
	}
	r.topIndex = newKeyIndex(r.topKeys)

	var prune func(stats statsFunc) bool
	if opts.PredicatePushdown && q.Where != nil {
		prune = func(stats statsFunc) bool { return !canMatch(q.Where, stats) }
		if !opts.noPageIndex {
			r.where = q.Where
		}
	}
	from, to := int64(0), int64(math.MaxInt64)
	if sr := req.ScanRange; sr != nil {
		from = sr.Start
		if from < 0 {
			from = max(src.Size()+from, 0)
		}
		if sr.End >= 0 {
			to = sr.End
		}
	}
	for gi, rg := range f.RowGroups() {
		chunks := rg.ColumnChunks()
		if len(chunks) > 0 {
			// A row group belongs to the scan range its first byte is in.
			md := f.Metadata().RowGroups[gi].Columns[0].MetaData
			start := md.DataPageOffset
			if md.DictionaryPageOffset > 0 && md.DictionaryPageOffset < start {
				start = md.DictionaryPageOffset
			}
			if start < from || start > to {
				continue
			}
		}
		if prune != nil && prune(rowGroupStats(leaves, chunks)) {
			r.skipped++
			continue
		}
		r.groups = append(r.groups, gi)
	}
	return r, nil
}

func leafColumns(c *pq.Column) []*pq.Column {
	if c.Leaf() {
		return []*pq.Column{c}
	}
	var out []*pq.Column
	for _, child := range c.Columns() {
		out = append(out, leafColumns(child)...)
	}
	return out
}

func (r *parquetReader) processed() int64 { return r.procd }

// openGroup starts reading the next row group that has rows to read.
func (r *parquetReader) openGroup() error {
	for _, c := range r.cursors {
		c.close()
	}
	r.cursors = r.cursors[:0]
	for {
		if r.gi >= len(r.groups) {
			return io.EOF
		}
		gi := r.groups[r.gi]
		r.gi++
		rg := r.file.RowGroups()[gi]
		chunks := rg.ColumnChunks()
		numRows := rg.NumRows()
		r.ranges = append(r.ranges[:0], rowRange{0, numRows})
		if r.where != nil {
			if ranges, ok := r.pageRanges(gi, chunks, numRows); ok {
				r.ranges = ranges
			}
		}
		var rows int64
		for _, rr := range r.ranges {
			rows += rr.to - rr.from
		}
		if rows == 0 {
			r.skipped++ // every page was pruned
			continue
		}
		for _, c := range r.cols {
			fc, ok := chunks[c.index].(*pq.FileColumnChunk)
			if !ok {
				return ErrParquetParsingError
			}
			// With pruned pages, count the share of the rows read.
			r.procd += r.file.Metadata().RowGroups[gi].Columns[c.index].MetaData.TotalUncompressedSize * rows / numRows
			r.cursors = append(r.cursors, &colCursor{pages: fc.PagesFrom(r.src), col: c})
		}
		r.ri, r.pos, r.left = 0, 0, 0
		return nil
	}
}

// nextRange moves the cursors to the next range of rows to read.
func (r *parquetReader) nextRange() error {
	rr := r.ranges[r.ri]
	r.ri++
	if rr.from != r.pos {
		for _, c := range r.cursors {
			if err := c.seek(rr.from); err != nil {
				return parquetErr(err)
			}
		}
	}
	r.pos, r.left = rr.to, rr.to-rr.from
	return nil
}

func (r *parquetReader) next() (rec any, err error) {
	defer func() {
		// Corrupt pages can make the decoder panic; report them as errors.
		if p := recover(); p != nil {
			rec, err = nil, ErrParquetParsingError.WithMessage("Corrupt Parquet data: %v", p)
		}
	}()
	for r.left <= 0 {
		if r.ri < len(r.ranges) && len(r.cursors) > 0 {
			if err := r.nextRange(); err != nil {
				return nil, err
			}
			continue
		}
		if err := r.openGroup(); err != nil {
			return nil, err
		}
	}
	r.left--
	o := &object{keys: r.topKeys, vals: make([]any, len(r.topKeys)), index: r.topIndex}
	for i := range o.vals {
		o.vals[i] = missing
	}
	for _, c := range r.cursors {
		v, err := c.row()
		if err != nil {
			return nil, err
		}
		setPath(o, c.col.path, v)
	}
	return o, nil
}

// setPath stores v at path in o, creating nested objects for groups.
func setPath(o *object, path []string, v any) {
	i := -1
	for k, name := range o.keys {
		if name == path[0] {
			i = k
			break
		}
	}
	if i < 0 {
		o.keys = append(o.keys, path[0])
		o.vals = append(o.vals, missing)
		i = len(o.keys) - 1
	}
	if len(path) == 1 {
		o.vals[i] = v
		return
	}
	child, ok := o.vals[i].(*object)
	if !ok {
		child = &object{}
		o.vals[i] = child
	}
	setPath(child, path[1:], v)
}

// colCursor reads one column chunk value by value.
type colCursor struct {
	pages  *pq.FilePages
	col    *leafCol
	page   pq.Page
	vr     pq.ValueReader
	buf    []pq.Value
	i, n   int
	seeked bool // pages were sliced by a seek
}

// release gives the current page back to parquet-go's buffer pool.
func (c *colCursor) release() {
	// After a seek, pages may be slices sharing the reader's own reference
	// to its last page; releasing them could free memory still in use, so
	// they are left to the garbage collector.
	if c.page != nil && !c.seeked {
		pq.Release(c.page)
	}
	c.page = nil
}

func (c *colCursor) close() {
	c.release()
	c.pages.Close()
}

// seek moves the cursor to the first value of row (of the row group).
func (c *colCursor) seek(row int64) error {
	c.release()
	c.vr, c.i, c.n = nil, 0, 0
	c.seeked = true
	return c.pages.SeekToRow(row)
}

// peek returns the next value without consuming it.
func (c *colCursor) peek() (pq.Value, error) {
	for c.i >= c.n {
		if c.vr == nil {
			c.release()
			p, err := c.pages.ReadPage()
			if err != nil {
				if err == io.EOF {
					return pq.Value{}, ErrParquetParsingError.WithMessage("Column %s has fewer values than rows.", strings.Join(c.col.path, "."))
				}
				return pq.Value{}, parquetErr(err)
			}
			c.page = p
			c.vr = p.Values()
			if c.buf == nil {
				c.buf = make([]pq.Value, 1024)
			}
		}
		n, err := c.vr.ReadValues(c.buf)
		c.i, c.n = 0, n
		if err != nil {
			if err != io.EOF {
				return pq.Value{}, parquetErr(err)
			}
			c.vr = nil
		}
	}
	return c.buf[c.i], nil
}

func parquetErr(err error) error {
	var se interface{ Is(error) bool }
	if errors.As(err, &se) {
		return err
	}
	return ErrParquetParsingError.WithMessage("Reading Parquet data: %v", err)
}

// row returns the next row's value of the column: a scalar, or a list for
// repeated columns.
func (c *colCursor) row() (any, error) {
	v, err := c.peek()
	if err != nil {
		return nil, err
	}
	c.i++
	if c.col.maxRep == 0 {
		if v.IsNull() {
			return nil, nil
		}
		return c.col.conv(v), nil
	}
	var list []any
	for {
		if !v.IsNull() && v.DefinitionLevel() == c.col.maxDef {
			list = append(list, c.col.conv(v))
		}
		if c.i >= c.n && c.vr == nil {
			// Look past the page end: the row may go on in the next page.
			if _, err := c.peek(); err != nil {
				break
			}
		}
		nv, err := c.peek()
		if err != nil || nv.RepetitionLevel() == 0 {
			break
		}
		c.i++
		v = nv
	}
	if list == nil {
		return []any{}, nil
	}
	return list, nil
}

// converter returns the function that turns a column's Parquet values into
// query values.
func converter(t pq.Type) (func(pq.Value) any, error) {
	if lt := t.LogicalType(); lt != nil {
		switch l := lt.Value.(type) {
		case *format.TimestampType:
			unit := time.Microsecond
			if l.Unit.Value != nil {
				unit = l.Unit.Value.Duration()
			}
			return func(v pq.Value) any {
				n := v.Int64()
				if t.Kind() == pq.Int32 {
					n = int64(v.Int32())
				}
				return time.Unix(0, 0).UTC().Add(time.Duration(n) * unit)
			}, nil
		case *format.DateType:
			return func(v pq.Value) any {
				return time.Unix(int64(v.Int32())*86400, 0).UTC()
			}, nil
		case *format.DecimalType:
			scale := math.Pow10(int(l.Scale))
			return func(v pq.Value) any {
				switch t.Kind() {
				case pq.Int32:
					return float64(v.Int32()) / scale
				case pq.Int64:
					return float64(v.Int64()) / scale
				}
				// Big-endian two's complement bytes.
				b := v.ByteArray()
				var n float64
				for i, x := range b {
					if i == 0 && x&0x80 != 0 {
						n = float64(int8(x))
						continue
					}
					n = n*256 + float64(x)
				}
				return n / scale
			}, nil
		}
	}
	switch t.Kind() {
	case pq.Boolean:
		return func(v pq.Value) any { return v.Boolean() }, nil
	case pq.Int32:
		return func(v pq.Value) any { return int64(v.Int32()) }, nil
	case pq.Int64:
		return func(v pq.Value) any { return v.Int64() }, nil
	case pq.Int96:
		return func(v pq.Value) any {
			x := v.Int96()
			nanos := int64(uint64(x[0]) | uint64(x[1])<<32)
			days := int64(x[2]) - 2440588 // Julian day of 1970-01-01
			return time.Unix(days*86400, nanos).UTC()
		}, nil
	case pq.Float:
		return func(v pq.Value) any { return float64(v.Float()) }, nil
	case pq.Double:
		return func(v pq.Value) any { return v.Double() }, nil
	case pq.ByteArray, pq.FixedLenByteArray:
		return func(v pq.Value) any { return string(v.ByteArray()) }, nil
	}
	return nil, ErrInvalidDataType.WithMessage("Unsupported Parquet type %v.", t)
}
