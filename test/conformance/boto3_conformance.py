"""What boto3 users hit, against a running Anode (run by TestBoto3).

ANODE_ENDPOINT and the credentials come from the environment. Every check
is an assert; the script prints one line per passed check and exits
non-zero on the first failure.
"""
import os
import time
import uuid

import urllib.error
import urllib.request

import boto3
from botocore.config import Config
from botocore.exceptions import ClientError

endpoint = os.environ["ANODE_ENDPOINT"]


def client(region):
    # read_timeout bounds the botocore stall this script guards against
    # (60 s by default) so that a regression fails in seconds, not minutes.
    return boto3.client(
        "s3",
        endpoint_url=endpoint,
        aws_access_key_id=os.environ["AWS_ACCESS_KEY_ID"],
        aws_secret_access_key=os.environ["AWS_SECRET_ACCESS_KEY"],
        region_name=region,
        config=Config(s3={"addressing_style": "path"}, retries={"max_attempts": 1},
                      read_timeout=10, signature_version="s3v4"),
    )


s3 = client("us-east-1")


def check(name):
    print("ok", name, flush=True)


def new_bucket(c=s3, **kw):
    name = "b3-" + uuid.uuid4().hex[:16]
    c.create_bucket(Bucket=name, **kw)
    return name


# A client whose default region is eu-central-1 works: the server has no
# configured region, so it accepts any signing region (issue 16, class 5).
eu = client("eu-central-1")
b = new_bucket(eu, CreateBucketConfiguration={"LocationConstraint": "eu-central-1"})
assert eu.get_bucket_location(Bucket=b)["LocationConstraint"] == "eu-central-1"
eu.put_object(Bucket=b, Key="k", Body=b"x")
assert eu.get_object(Bucket=b, Key="k")["Body"].read() == b"x"
check("eu-central-1 client creates, writes and reads")

# A zero-byte PUT followed by a non-empty one on the same pooled
# connection: botocore sends Expect: 100-continue and waits for the 100;
# before the fix the second PUT stalled for the whole read timeout
# (boto/botocore#3755).
b = new_bucket()
start = time.time()
for i in range(5):
    s3.put_object(Bucket=b, Key="empty%d" % i, Body=b"")
    s3.put_object(Bucket=b, Key="full%d" % i, Body=b"y" * 1000)
took = time.time() - start
assert took < 5, "10 small PUTs took %.1fs" % took
check("empty then non-empty PUTs do not stall (%.2fs)" % took)

def http_put(url, data, headers=None):
    """PUT with the standard library, so no client adds or signs anything."""
    req = urllib.request.Request(url, data=data, headers=headers or {}, method="PUT")
    try:
        with urllib.request.urlopen(req, timeout=10) as r:
            return r.status, r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.read()


# Bucket.object_versions.delete() on 2,100 versions deletes all of them:
# it lists a page, deletes it, and asks for the next page after a marker
# that no longer exists.
b = new_bucket()
s3.put_bucket_versioning(Bucket=b, VersioningConfiguration={"Status": "Enabled"})
for i in range(2100):
    s3.put_object(Bucket=b, Key="k%d" % (i % 3), Body=b"v")
bucket = boto3.resource(
    "s3", endpoint_url=endpoint,
    aws_access_key_id=os.environ["AWS_ACCESS_KEY_ID"],
    aws_secret_access_key=os.environ["AWS_SECRET_ACCESS_KEY"],
    region_name="us-east-1",
    config=Config(s3={"addressing_style": "path"}, retries={"max_attempts": 1}),
).Bucket(b)
bucket.object_versions.delete()
left = s3.list_object_versions(Bucket=b)
n = len(left.get("Versions", [])) + len(left.get("DeleteMarkers", []))
assert n == 0, "%d versions left" % n
s3.delete_bucket(Bucket=b)
check("object_versions.delete() removes 2,100 versions")

# A presigned V4 PUT uploads; the same URL with an added, unsigned
# x-amz-copy-source is refused and copies nothing.
b = new_bucket()
s3.put_object(Bucket=b, Key="private", Body=b"secret")
url = s3.generate_presigned_url("put_object", Params={"Bucket": b, "Key": "upload"}, ExpiresIn=300)
status, body = http_put(url, b"x", {"x-amz-copy-source": b + "/private"})
assert status == 403 and b"not signed" in body, (status, body)
try:
    s3.head_object(Bucket=b, Key="upload")
    raise AssertionError("the refused presigned request stored an object")
except ClientError as e:
    assert e.response["ResponseMetadata"]["HTTPStatusCode"] == 404
status, body = http_put(url, b"presigned body")
assert status == 200, (status, body)
assert s3.get_object(Bucket=b, Key="upload")["Body"].read() == b"presigned body"
check("presigned V4 PUT works and cannot become a copy")

# botocore refuses non-ASCII metadata values itself (ParamValidationError),
# so boto3 users never send raw UTF-8; sdk_test.go and raw_test.go cover
# the RFC 2047 answer for clients that do.
