package parquet

import (
	"encoding/binary"
	"errors"
	"fmt"
)

// footerEncodingV1 is the first byte of an encoded Footer.
const footerEncodingV1 = 1

// MarshalBinary encodes f for storage with the object's metadata. Only the
// file size and the raw footer are stored: the Thrift footer is already a
// compact encoding of everything else, which UnmarshalBinary derives again.
func (f *Footer) MarshalBinary() ([]byte, error) {
	if len(f.Raw) < 8 {
		return nil, errors.New("parquet: marshal: footer has no raw bytes")
	}
	b := make([]byte, 0, 1+binary.MaxVarintLen64+len(f.Raw))
	b = append(b, footerEncodingV1)
	b = binary.AppendUvarint(b, uint64(f.Size))
	return append(b, f.Raw...), nil
}

// UnmarshalBinary decodes a footer encoded by MarshalBinary.
func (f *Footer) UnmarshalBinary(b []byte) error {
	if len(b) == 0 || b[0] != footerEncodingV1 {
		return errors.New("parquet: unmarshal: unknown footer encoding")
	}
	size, n := binary.Uvarint(b[1:])
	if n <= 0 || size > 1<<62 {
		return errors.New("parquet: unmarshal: bad file size")
	}
	raw := append([]byte(nil), b[1+n:]...)
	if int64(len(raw)) > int64(size) || len(raw) < 8 {
		return fmt.Errorf("parquet: unmarshal: %d footer bytes for a %d-byte file", len(raw), size)
	}
	d, err := decodeFooter(raw, int64(size))
	if err != nil {
		return err
	}
	*f = *d
	return nil
}
