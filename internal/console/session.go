package console

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/hex"
	"sync"
	"time"
)

// session is one logged-in browser. It holds the user's secret in memory
// only: the console signs the S3 requests it makes on the user's behalf
// with it.
type session struct {
	id        string
	csrf      string
	accessKey string
	secret    string
	root      bool
	created   time.Time
	lastUsed  time.Time
}

// sessions is the in-memory session table of one node. A session lives on
// the node that created it: a browser that reaches another node logs in
// again.
type sessions struct {
	mu       sync.Mutex
	byID     map[string]*session
	idle     time.Duration
	lifetime time.Duration
	max      int
	now      func() time.Time
}

func newSessions(idle, lifetime time.Duration, max int, now func() time.Time) *sessions {
	return &sessions{byID: map[string]*session{}, idle: idle, lifetime: lifetime, max: max, now: now}
}

// randomToken returns 256 random bits, hex-encoded.
func randomToken() string {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		panic("console: no randomness: " + err.Error())
	}
	return hex.EncodeToString(b)
}

func (s *sessions) expired(x *session, now time.Time) bool {
	return now.Sub(x.lastUsed) >= s.idle || now.Sub(x.created) >= s.lifetime
}

// create starts a session. When the table is full even after dropping the
// expired sessions, the oldest one is dropped: memory stays bounded.
func (s *sessions) create(accessKey, secret string, root bool) *session {
	now := s.now()
	x := &session{id: randomToken(), csrf: randomToken(), accessKey: accessKey, secret: secret, root: root, created: now, lastUsed: now}
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.byID) >= s.max {
		var oldest *session
		for id, y := range s.byID {
			if s.expired(y, now) {
				delete(s.byID, id)
			} else if oldest == nil || y.lastUsed.Before(oldest.lastUsed) {
				oldest = y
			}
		}
		if len(s.byID) >= s.max && oldest != nil {
			delete(s.byID, oldest.id)
		}
	}
	s.byID[x.id] = x
	return x
}

// get returns the live session with this ID and marks it used, or nil.
func (s *sessions) get(id string) *session {
	now := s.now()
	s.mu.Lock()
	defer s.mu.Unlock()
	x := s.byID[id]
	if x == nil {
		return nil
	}
	if s.expired(x, now) {
		delete(s.byID, id)
		return nil
	}
	x.lastUsed = now
	copied := *x
	return &copied
}

func (s *sessions) delete(id string) {
	s.mu.Lock()
	delete(s.byID, id)
	s.mu.Unlock()
}

func equalTokens(a, b string) bool {
	return len(a) == len(b) && subtle.ConstantTimeCompare([]byte(a), []byte(b)) == 1
}

// loginLimiter counts failed logins per source IP in fixed windows.
type loginLimiter struct {
	mu     sync.Mutex
	byIP   map[string]*failures
	max    int           // failures allowed per window
	window time.Duration // window length
	maxIPs int           // addresses tracked at most
	now    func() time.Time
}

type failures struct {
	count int
	start time.Time
}

// allowed reports whether ip may try to log in now.
func (l *loginLimiter) allowed(ip string) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	f := l.byIP[ip]
	return f == nil || l.now().Sub(f.start) >= l.window || f.count < l.max
}

// failed records a failed login from ip.
func (l *loginLimiter) failed(ip string) {
	now := l.now()
	l.mu.Lock()
	defer l.mu.Unlock()
	f := l.byIP[ip]
	if f == nil || now.Sub(f.start) >= l.window {
		if len(l.byIP) >= l.maxIPs {
			for k, g := range l.byIP {
				if now.Sub(g.start) >= l.window {
					delete(l.byIP, k)
				}
			}
			if len(l.byIP) >= l.maxIPs {
				// Every tracked address is within its window: forget them
				// all rather than grow without bound.
				clear(l.byIP)
			}
		}
		f = &failures{start: now}
		l.byIP[ip] = f
	}
	f.count++
}
