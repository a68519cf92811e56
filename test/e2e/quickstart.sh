#!/usr/bin/env bash
# quickstart.sh runs the README quick start with the aws CLI against a
# running Anode, then checks a few more everyday CLI commands.
#
# Environment:
#   ENDPOINT  S3 endpoint of the server (default http://localhost:8080)
#   BUCKET    bucket of the quick start (default my-bucket); the checks also
#             create "$BUCKET-copy". Both must not exist yet.
#
# It runs `aws configure set`, which writes to ~/.aws unless
# AWS_CONFIG_FILE and AWS_SHARED_CREDENTIALS_FILE point elsewhere.
# It prints every check and exits non-zero on the first failure.
set -euo pipefail

ENDPOINT="${ENDPOINT:-http://localhost:8080}"
BUCKET="${BUCKET:-my-bucket}"
OTHER="${BUCKET}-copy"

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
cd "$work"

step() { printf '== %s\n' "$*"; }
fail() {
	printf 'FAIL: %s\n' "$*" >&2
	exit 1
}

# expect_eq WHAT GOT WANT fails unless GOT is exactly WANT.
expect_eq() {
	if [[ "$2" != "$3" ]]; then
		fail "$1: got '$2', want '$3'"
	fi
	printf '   ok: %s = %s\n' "$1" "$3"
}

# must_fail WANT CMD... runs CMD, which must fail with WANT in its error output.
must_fail() {
	local want="$1"
	shift
	if "$@" >out.txt 2>err.txt; then
		fail "'$*' succeeded, want an error containing $want"
	fi
	grep -qF -- "$want" err.txt || fail "'$*': want an error containing $want, got: $(cat err.txt out.txt)"
	printf '   ok: %s fails with %s\n' "$*" "$want"
}

s3() { aws --endpoint-url "$ENDPOINT" s3 "$@"; }
# s3cp runs aws s3 cp without the progress meter, which only clutters a log.
s3cp() { aws --endpoint-url "$ENDPOINT" s3 cp --no-progress "$@"; }
s3api() { aws --endpoint-url "$ENDPOINT" s3api "$@"; }

step "README quick start against $ENDPOINT"
aws configure set region us-east-1
# From here to the cmp: the README quick start, with the endpoint from $ENDPOINT.
aws configure set aws_access_key_id minioadmin
aws configure set aws_secret_access_key minioadmin
aws --endpoint-url "$ENDPOINT" s3 mb "s3://$BUCKET"
echo "Hello, Anode!" >test.txt
aws --endpoint-url "$ENDPOINT" s3 cp test.txt "s3://$BUCKET/"
aws --endpoint-url "$ENDPOINT" s3 cp "s3://$BUCKET/test.txt" downloaded.txt
cmp test.txt downloaded.txt || fail "downloaded.txt differs from test.txt"
expect_eq "downloaded.txt" "$(cat downloaded.txt)" "Hello, Anode!"

step "aws s3 ls lists the bucket and the object"
s3 ls >ls.txt
expect_eq "buckets named $BUCKET" "$(awk -v b="$BUCKET" '$3 == b' ls.txt | wc -l | tr -d ' ')" "1"
s3 ls "s3://$BUCKET/" >ls.txt
expect_eq "size of test.txt in ls" "$(awk '$4 == "test.txt" { print $3 }' ls.txt)" "14"
expect_eq "objects in ls" "$(wc -l <ls.txt | tr -d ' ')" "1"

step "aws s3 cp of a 5 MiB random file and back"
head -c $((5 * 1024 * 1024)) /dev/urandom >big.bin
s3cp big.bin "s3://$BUCKET/big.bin"
s3cp "s3://$BUCKET/big.bin" big.down
cmp big.bin big.down || fail "big.down differs from big.bin"
printf '   ok: big.down is identical to big.bin\n'

step "aws s3api head-object"
md5="$(md5sum big.bin | cut -d' ' -f1)"
expect_eq "ContentLength" "$(s3api head-object --bucket "$BUCKET" --key big.bin --query ContentLength --output text)" "5242880"
expect_eq "ETag" "$(s3api head-object --bucket "$BUCKET" --key big.bin --query ETag --output text)" "\"$md5\""

step "aws s3api list-objects-v2 --prefix"
echo a >a.txt
s3cp a.txt "s3://$BUCKET/dir/a.txt"
s3cp a.txt "s3://$BUCKET/dir/b.txt"
s3cp a.txt "s3://$BUCKET/dirt.txt"
expect_eq "keys under dir/" "$(s3api list-objects-v2 --bucket "$BUCKET" --prefix dir/ --query 'Contents[].Key' --output text)" "$(printf 'dir/a.txt\tdir/b.txt')"
expect_eq "KeyCount under dir/" "$(s3api list-objects-v2 --bucket "$BUCKET" --prefix dir/ --no-paginate --query KeyCount --output text)" "2"
expect_eq "keys under dir" "$(s3api list-objects-v2 --bucket "$BUCKET" --prefix dir --query 'Contents[].Key' --output text)" "$(printf 'dir/a.txt\tdir/b.txt\tdirt.txt')"

step "copy between buckets"
s3 mb "s3://$OTHER"
s3cp "s3://$BUCKET/test.txt" "s3://$OTHER/copied.txt"
s3cp "s3://$OTHER/copied.txt" copied.txt
cmp test.txt copied.txt || fail "copied.txt differs from test.txt"
printf '   ok: the copy has the same bytes\n'

step "aws s3 rm"
s3 rm "s3://$BUCKET/big.bin"
must_fail "(404)" s3api head-object --bucket "$BUCKET" --key big.bin
s3 ls "s3://$BUCKET/" >ls.txt
expect_eq "big.bin in ls after rm" "$(awk '$4 == "big.bin"' ls.txt)" ""

step "aws s3 rb"
must_fail "BucketNotEmpty" s3 rb "s3://$BUCKET"
s3api head-bucket --bucket "$BUCKET" >/dev/null
printf '   ok: %s still exists\n' "$BUCKET"
s3 rb --force "s3://$OTHER"
must_fail "(404)" s3api head-bucket --bucket "$OTHER"

echo "PASS: quickstart.sh"
