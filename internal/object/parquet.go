package object

import "github.com/anode/anode/internal/meta"

// parquetIndex returns the encoded footer index of a version whose data is
// a Parquet file, or nil. A file that only looks like Parquet, or whose
// footer is corrupt, is an ordinary object: this never fails a write.
func (s *Service) parquetIndex(v *meta.Version) []byte {
	return nil
}
