package s3err

import "net/http"

// Server-side encryption and KMS errors, as S3 answers them.
var (
	KMSDisabled                = newErr("KMS.DisabledException", http.StatusBadRequest, "The KMS key is disabled.")
	KMSNotFound                = newErr("KMS.NotFoundException", http.StatusBadRequest, "The KMS key does not exist.")
	InvalidEncryptionAlgorithm = newErr("InvalidEncryptionAlgorithmError", http.StatusBadRequest, "The encryption request you specified is not valid. The valid value is AES256.")
	NoEncryptionConfiguration  = newErr("ServerSideEncryptionConfigurationNotFoundError", http.StatusNotFound, "The server side encryption configuration was not found")
	NoMasterKey                = newErr("NotImplemented", http.StatusNotImplemented, "Server-side encryption needs a master key: set ANODE_KMS_MASTER_KEY or kms.master_key_file (see docs/encryption.md).")
)
