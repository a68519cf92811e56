package bench

import (
	"bytes"
	"io"
	"testing"
)

func TestContentRandomAccessMatchesSequential(t *testing.T) {
	const size = 1000
	full := make([]byte, size)
	fillContent(full, 42, 0)
	for _, off := range []int64{0, 1, 7, 8, 9, 15, 16, 500, 993, 999} {
		for _, n := range []int{0, 1, 3, 8, 13, 64} {
			if off+int64(n) > size {
				continue
			}
			got := make([]byte, n)
			fillContent(got, 42, off)
			if !bytes.Equal(got, full[off:off+int64(n)]) {
				t.Fatalf("fillContent(off=%d, n=%d) differs from the sequential content", off, n)
			}
		}
	}
}

func TestContentReaderReadsSizeBytesAndSeeks(t *testing.T) {
	const size = 10007
	want := make([]byte, size)
	fillContent(want, 7, 0)

	r := newContentReader(7, size)
	buf := make([]byte, 333) // odd length: reads land on unaligned offsets
	var got []byte
	for {
		n, err := r.Read(buf)
		got = append(got, buf[:n]...)
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	if !bytes.Equal(got, want) {
		t.Fatalf("read %d bytes, not the expected content of %d bytes", len(got), size)
	}

	if _, err := r.Seek(5000, io.SeekStart); err != nil {
		t.Fatal(err)
	}
	rest, err := io.ReadAll(r)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(rest, want[5000:]) {
		t.Fatal("content after Seek(5000) differs")
	}
}

func TestContentDiffersBetweenSeeds(t *testing.T) {
	a := make([]byte, 4096)
	b := make([]byte, 4096)
	fillContent(a, seedFor(1, streamPut(0), 0), 0)
	fillContent(b, seedFor(1, streamPut(0), 1), 0)
	if bytes.Equal(a, b) {
		t.Fatal("two objects of one stream have the same content")
	}
	fillContent(b, seedFor(1, streamRead, 0), 0)
	if bytes.Equal(a, b) {
		t.Fatal("objects of two streams have the same content")
	}
}

func BenchmarkFillContent(b *testing.B) {
	buf := make([]byte, 1<<20)
	b.SetBytes(int64(len(buf)))
	for b.Loop() {
		fillContent(buf, 1, 0)
	}
}
