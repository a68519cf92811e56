package conformance

import "os"

func osMkdirTemp() (string, error) { return os.MkdirTemp("", "anode-conformance-") }
