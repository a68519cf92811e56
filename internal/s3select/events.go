package s3select

import (
	"bytes"
	"fmt"
	"io"
	"net/http"

	"github.com/aws/aws-sdk-go-v2/aws/protocol/eventstream"
)

// eventWriter writes the AWS event stream of a SelectObjectContent
// response.
type eventWriter struct {
	w       io.Writer
	enc     *eventstream.Encoder
	started bool // something was written: errors must now be events
	err     error
	buf     bytes.Buffer
}

func newEventWriter(w io.Writer) *eventWriter {
	return &eventWriter{w: w, enc: eventstream.NewEncoder()}
}

func (e *eventWriter) send(headers eventstream.Headers, payload []byte) error {
	if e.err != nil {
		return e.err
	}
	e.started = true
	// Encode into a buffer first so that one event is one Write.
	e.buf.Reset()
	if err := e.enc.Encode(&e.buf, eventstream.Message{Headers: headers, Payload: payload}); err != nil {
		e.err = fmt.Errorf("s3select: encoding event: %w", err)
		return e.err
	}
	if _, err := e.w.Write(e.buf.Bytes()); err != nil {
		e.err = fmt.Errorf("s3select: writing event: %w", err)
		return e.err
	}
	if f, ok := e.w.(http.Flusher); ok {
		f.Flush()
	}
	return nil
}

func eventHeaders(eventType, contentType string) eventstream.Headers {
	var h eventstream.Headers
	h.Set(":message-type", eventstream.StringValue("event"))
	h.Set(":event-type", eventstream.StringValue(eventType))
	if contentType != "" {
		h.Set(":content-type", eventstream.StringValue(contentType))
	}
	return h
}

func (e *eventWriter) records(p []byte) error {
	return e.send(eventHeaders("Records", "application/octet-stream"), p)
}

func statsXML(tag string, s Stats) []byte {
	return fmt.Appendf(nil, `<?xml version="1.0" encoding="UTF-8"?><%s><BytesScanned>%d</BytesScanned><BytesProcessed>%d</BytesProcessed><BytesReturned>%d</BytesReturned></%s>`,
		tag, s.BytesScanned, s.BytesProcessed, s.BytesReturned, tag)
}

func (e *eventWriter) stats(s Stats) error {
	return e.send(eventHeaders("Stats", "text/xml"), statsXML("Stats", s))
}

func (e *eventWriter) progress(s Stats) error {
	return e.send(eventHeaders("Progress", "text/xml"), statsXML("Progress", s))
}

func (e *eventWriter) cont() error { return e.send(eventHeaders("Cont", ""), nil) }

func (e *eventWriter) end() error { return e.send(eventHeaders("End", ""), nil) }

func (e *eventWriter) error(code, msg string) error {
	var h eventstream.Headers
	h.Set(":message-type", eventstream.StringValue("error"))
	h.Set(":error-code", eventstream.StringValue(code))
	h.Set(":error-message", eventstream.StringValue(msg))
	return e.send(h, nil)
}
