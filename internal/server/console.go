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
// (session cookie) authentication; see docs/console.md. Its object
// actions are S3 requests to s3 signed with the logged-in user's key, its
// users and cluster pages admin requests to adminAPI signed the same way.
func (s *Server) withConsole(identities *iam.Store, s3, adminAPI http.Handler) http.Handler {
	c := s.consoleHandler(identities, s3, adminAPI)
	mux := http.NewServeMux()
	mux.Handle("/console", c)
	mux.Handle("/console/", c)
	mux.Handle("/", adminAPI)
	return mux
}

func (s *Server) consoleHandler(identities *iam.Store, s3, adminAPI http.Handler) http.Handler {
	return console.New(console.Config{
		LookupSecret:  identities.LookupSecret,
		RootAccessKey: identities.RootAccessKey(),
		S3:            s3,
		Admin:         adminAPI,
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
