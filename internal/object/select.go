package object

import (
	"context"
	"io"

	"github.com/anode/anode/internal/parquet"
	"github.com/anode/anode/internal/s3select"
)

// SelectInput is a SelectObjectContent request.
type SelectInput struct {
	Bucket    string
	Key       string
	VersionID string
	Request   *s3select.Request
	// NoPushdown and NoPruning turn predicate pushdown and column pruning
	// off for this request, to measure their effect (the S3 layer sets
	// them from the x-anode-select-pushdown header). They can only make a
	// query read more, never change its result; the configuration
	// switches (parquet.enable_*) turn them off for every request.
	NoPushdown bool
	NoPruning  bool
	// CustomerKey is the SSE-C key the request carried, if any.
	CustomerKey []byte
}

// SelectObjectContent runs an S3 Select query over an object and writes the
// event stream to w (see s3select.Execute). The object is read by range
// from its chunks, never whole, and a Parquet object's stored footer index
// spares the engine the footer read. An error is returned only when
// nothing was written to w yet; later failures are error events.
func (s *Service) SelectObjectContent(ctx context.Context, in SelectInput, w io.Writer) (s3select.Stats, error) {
	v, _, err := s.lookup(ctx, in.Bucket, in.Key, in.VersionID)
	if err != nil {
		return s3select.Stats{}, err
	}
	v, keys, err := s.openVersion(ctx, v, in.CustomerKey)
	if err != nil {
		return s3select.Stats{}, err
	}
	opts := s3select.Options{
		PredicatePushdown: s.cfg.Parquet.PredicatePushdown && !in.NoPushdown,
		ColumnPruning:     s.cfg.Parquet.ColumnPruning && !in.NoPruning,
	}
	var footer *parquet.Footer
	if in.Request.Input.Format == s3select.FormatParquet && v.Parquet != nil {
		ft := new(parquet.Footer)
		if err := ft.UnmarshalBinary(v.Parquet); err != nil || ft.Size != v.Size {
			// The index was valid when written; if it no longer decodes
			// the engine reads the footer from the data instead.
			s.log.Warn("stored parquet footer index unreadable", "bucket", in.Bucket, "key", in.Key, "err", err)
		} else {
			footer = ft
		}
	}
	return s3select.Execute(ctx, in.Request, s.versionReaderAt(v, keys), footer, opts, w)
}
