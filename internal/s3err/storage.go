package s3err

import "net/http"

// Errors of bucket lifecycle races and of a node that cannot take new data.
var (
	// OperationAborted is AWS's answer to a request that meets a
	// conflicting operation on the same bucket in progress (here: a
	// DeleteBucket that has closed the bucket's placement groups).
	OperationAborted = newErr("OperationAborted", http.StatusConflict, "A conflicting conditional operation is currently in progress against this resource. Please try again.")
	// InsufficientStorage refuses new data on a node whose disk is nearly
	// full or whose storage failed. AWS has no such error (its capacity
	// never runs out); 507 is HTTP's status for it, and SDKs treat 5xx as
	// retryable, so a client retries, possibly on another node.
	InsufficientStorage = newErr("InsufficientStorage", http.StatusInsufficientStorage, "The node does not have enough free storage to accept new data; reads and deletes still work.")
)
