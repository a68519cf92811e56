package server

import (
	"net"
	"net/http"
	"strings"

	"github.com/anode/anode/internal/console"
	"github.com/anode/anode/internal/iam"
)

// withConsole serves the web console under /console/ on the admin port
// and everything else with the admin API. The console does its own
// (session cookie) authentication; see docs/console.md.
func withConsole(c http.Handler, adminAPI http.Handler) http.Handler {
	mux := http.NewServeMux()
	mux.Handle("/console", c)
	mux.Handle("/console/", c)
	mux.Handle("/", adminAPI)
	return mux
}

// consoleHandler builds the console over the S3 handler s3: its object
// actions are S3 requests signed with the logged-in user's key.
func (s *Server) consoleHandler(identities *iam.Store, s3 http.Handler) http.Handler {
	return console.New(console.Config{
		LookupSecret:  identities.LookupSecret,
		RootAccessKey: identities.RootAccessKey(),
		S3:            s3,
		S3Host:        s.s3Ln.Addr().String(),
		S3URL:         s.consoleS3URL,
		Region:        s.cfg.S3.Region,
	})
}

// consoleS3URL is the S3 endpoint's base URL for share links: the S3
// listener's address, or, when it listens on every interface, the host
// name the browser used to reach the console with the S3 port.
func (s *Server) consoleS3URL(r *http.Request) string {
	scheme := "http"
	if s.cfg.S3.TLSCertFile != "" {
		scheme = "https"
	}
	host, port, err := net.SplitHostPort(s.s3Ln.Addr().String())
	if err != nil {
		return scheme + "://" + s.s3Ln.Addr().String()
	}
	if ip := net.ParseIP(host); ip != nil && ip.IsUnspecified() {
		host = r.Host
		if h, _, err := net.SplitHostPort(r.Host); err == nil {
			host = h
		}
		host = strings.Trim(host, "[]")
	}
	return scheme + "://" + net.JoinHostPort(host, port)
}
