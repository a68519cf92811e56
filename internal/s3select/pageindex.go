package s3select

import (
	"bytes"
	"slices"
	"sort"
	"strings"

	pq "github.com/parquet-go/parquet-go"
	"github.com/parquet-go/parquet-go/format"
)

// rowRange is the rows [from, to) of a row group.
type rowRange struct{ from, to int64 }

// pageStats is what a column chunk's page index says about one column:
// the first row of each page and the statistics of each page.
type pageStats struct {
	first []int64
	stats []colStats
	ok    []bool // the page's statistics are usable
}

// page returns the index of the page holding row.
func (p *pageStats) page(row int64) int {
	return sort.Search(len(p.first), func(i int) bool { return p.first[i] > row }) - 1
}

// findLeaf returns the index among leaves of the flat (not repeated) leaf
// column at path, or -1.
func findLeaf(leaves []*pq.Column, path []pathElem) int {
	for i, l := range leaves {
		lp := l.Path()
		if len(lp) != len(path) || l.MaxRepetitionLevel() > 0 {
			continue
		}
		match := true
		for k, p := range path {
			if p.kind != pathName || !(lp[k] == p.name || !p.quoted && strings.EqualFold(lp[k], p.name)) {
				match = false
				break
			}
		}
		if match {
			return i
		}
	}
	return -1
}

// predicateColumns calls add with the path of every column canMatch may ask
// the statistics of. Finding a few more is harmless.
func predicateColumns(e Expr, add func([]pathElem)) {
	switch e := e.(type) {
	case *binaryExpr:
		switch e.op {
		case "AND", "OR":
			predicateColumns(e.l, add)
			predicateColumns(e.r, add)
		default:
			if c, _, _, ok := columnVsLiteral(e); ok {
				add(c.path)
			}
		}
	case *unaryExpr:
		predicateColumns(e.x, add)
	case *betweenExpr:
		predicateColumns(e.x, add)
	case *inExpr:
		predicateColumns(e.x, add)
	case *columnRef:
		add(e.path)
	}
}

// readPageStats reads the column index and the offset index of a column
// chunk from the source; ok is false when the chunk has none.
func (r *parquetReader) readPageStats(leaf *pq.Column, fc *pq.FileColumnChunk) (*pageStats, bool) {
	ci, err := fc.ColumnIndexFrom(r.src)
	if err != nil {
		return nil, false
	}
	oi, err := fc.OffsetIndexFrom(r.src)
	if err != nil || oi.NumPages() != ci.NumPages() || oi.NumPages() == 0 {
		return nil, false
	}
	conv, err := converter(leaf.Type())
	if err != nil {
		return nil, false
	}
	isBytes := leaf.Type().Kind() == pq.ByteArray || leaf.Type().Kind() == pq.FixedLenByteArray
	n := oi.NumPages()
	ps := &pageStats{first: make([]int64, n), stats: make([]colStats, n), ok: make([]bool, n)}
	for i := range n {
		ps.first[i] = oi.FirstRowIndex(i)
		if i > 0 && ps.first[i] < ps.first[i-1] {
			return nil, false // corrupt: pages out of order
		}
		if ci.NullPage(i) {
			ps.stats[i], ps.ok[i] = colStats{allNull: true}, true
			continue
		}
		lo, hi := ci.MinValue(i), ci.MaxValue(i)
		if lo.IsNull() || hi.IsNull() {
			continue
		}
		// A truncated maximum is rounded up, except when it is all 0xFF and
		// cannot be: then it may be below the true maximum.
		if isBytes && len(bytes.Trim(hi.ByteArray(), "\xff")) == 0 {
			continue
		}
		ps.stats[i] = colStats{min: conv(lo), max: conv(hi), hasMinMax: true}
		ps.ok[i] = true
	}
	if ps.first[0] != 0 {
		return nil, false
	}
	return ps, true
}

// pageRanges returns the row ranges of a row group of numRows rows that
// may hold rows matching the WHERE clause according to the page indexes
// of the columns it compares. ok is false when the page indexes cannot
// help (none, or a column to read has no offset index to seek with), and
// the whole row group must be read.
func (r *parquetReader) pageRanges(gi int, chunks []pq.ColumnChunk, numRows int64) (ranges []rowRange, ok bool) {
	indexes := map[int]*pageStats{}
	bounds := []int64{0, numRows}
	predicateColumns(r.where, func(path []pathElem) {
		li := findLeaf(r.leaves, path)
		if li < 0 {
			return
		}
		if _, seen := indexes[li]; seen {
			return
		}
		if singlePage(&r.file.Metadata().RowGroups[gi].Columns[li].MetaData) {
			// The page's statistics are the chunk's, which already said
			// the row group may match: save reading the index.
			indexes[li] = nil
			return
		}
		fc, ok := chunks[li].(*pq.FileColumnChunk)
		if !ok {
			indexes[li] = nil
			return
		}
		ps, ok := r.readPageStats(r.leaves[li], fc)
		if !ok {
			indexes[li] = nil
			return
		}
		indexes[li] = ps
		bounds = append(bounds, ps.first...)
	})
	useful := false
	for _, ps := range indexes {
		useful = useful || ps != nil
	}
	if !useful {
		return nil, false
	}
	// Every column read must be able to seek to a row, with its offset
	// index.
	for _, c := range r.cols {
		fc, ok := chunks[c.index].(*pq.FileColumnChunk)
		if !ok {
			return nil, false
		}
		if _, err := fc.OffsetIndexFrom(r.src); err != nil {
			return nil, false
		}
	}
	// Between two consecutive page boundaries of any referenced column,
	// every referenced column is inside a single page, whose statistics
	// hold for those rows.
	slices.Sort(bounds)
	bounds = slices.Compact(bounds)
	for k := 0; k+1 < len(bounds); k++ {
		from, to := bounds[k], bounds[k+1]
		if from >= numRows {
			break
		}
		stats := func(path []pathElem) (colStats, bool) {
			ps := indexes[findLeaf(r.leaves, path)]
			if ps == nil {
				return colStats{}, false
			}
			i := ps.page(from)
			if i < 0 || !ps.ok[i] {
				return colStats{}, false
			}
			return ps.stats[i], true
		}
		if !canMatch(r.where, stats) {
			continue
		}
		if n := len(ranges); n > 0 && ranges[n-1].to == from {
			ranges[n-1].to = to
		} else {
			ranges = append(ranges, rowRange{from, to})
		}
	}
	return ranges, true
}

// singlePage reports whether the column chunk's encoding statistics say it
// has at most one data page.
func singlePage(md *format.ColumnMetaData) bool {
	if len(md.EncodingStats) == 0 {
		return false // unknown
	}
	var n int32
	for _, es := range md.EncodingStats {
		if es.PageType == format.DataPage || es.PageType == format.DataPageV2 {
			n += es.Count
		}
	}
	return n <= 1
}
