"""boto3 against a running Anode: versioning, tagging and checksums.

Run by TestBoto3 (cli_test.go) with ANODE_ENDPOINT and the credentials in
the environment. Every check is an assert; the script prints one line per
passed check and exits non-zero on the first failure.
"""
import base64
import hashlib
import os
import sys
import zlib

import boto3
from botocore.config import Config
from botocore.exceptions import ClientError

s3 = boto3.client(
    "s3",
    endpoint_url=os.environ["ANODE_ENDPOINT"],
    aws_access_key_id=os.environ["AWS_ACCESS_KEY_ID"],
    aws_secret_access_key=os.environ["AWS_SECRET_ACCESS_KEY"],
    region_name="us-east-1",
    config=Config(s3={"addressing_style": "path"}, retries={"max_attempts": 1}),
)
passed = 0


def check(name):
    global passed
    passed += 1
    print("ok", name)


def error_code(fn, **kw):
    try:
        fn(**kw)
    except ClientError as e:
        return e.response["Error"]["Code"], e.response["ResponseMetadata"]["HTTPStatusCode"]
    raise AssertionError("expected an error from %s" % fn.__name__)


bucket = "boto3-objectmodel"
s3.create_bucket(Bucket=bucket)

# Versioning.
s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})
assert s3.get_bucket_versioning(Bucket=bucket)["Status"] == "Enabled"
v1 = s3.put_object(Bucket=bucket, Key="doc", Body=b"first")["VersionId"]
v2 = s3.put_object(Bucket=bucket, Key="doc", Body=b"second")["VersionId"]
assert v1 != v2
assert s3.get_object(Bucket=bucket, Key="doc", VersionId=v1)["Body"].read() == b"first"
assert s3.get_object(Bucket=bucket, Key="doc")["Body"].read() == b"second"
check("versions")
d = s3.delete_object(Bucket=bucket, Key="doc")
assert d["DeleteMarker"] is True
marker = d["VersionId"]
code, status = error_code(s3.get_object, Bucket=bucket, Key="doc")
assert (code, status) == ("NoSuchKey", 404), (code, status)
code, status = error_code(s3.head_object, Bucket=bucket, Key="doc", VersionId=marker)
assert status == 405, status
lv = s3.list_object_versions(Bucket=bucket, Prefix="doc")
assert [v["VersionId"] for v in lv["Versions"]] == [v2, v1], lv["Versions"]
assert [m["VersionId"] for m in lv["DeleteMarkers"]] == [marker]
assert lv["DeleteMarkers"][0]["IsLatest"] is True
check("delete markers")
s3.delete_object(Bucket=bucket, Key="doc", VersionId=marker)
s3.delete_object(Bucket=bucket, Key="doc", VersionId=v2)
assert s3.get_object(Bucket=bucket, Key="doc")["Body"].read() == b"first"
check("permanent deletes")
s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Suspended"})
assert s3.put_object(Bucket=bucket, Key="doc", Body=b"null")["VersionId"] == "null"
assert s3.get_object(Bucket=bucket, Key="doc", VersionId="null")["Body"].read() == b"null"
check("suspended")

# Tagging.
s3.put_object(Bucket=bucket, Key="tagged", Body=b"x", Tagging="a=1&b=two")
tags = {t["Key"]: t["Value"] for t in s3.get_object_tagging(Bucket=bucket, Key="tagged")["TagSet"]}
assert tags == {"a": "1", "b": "two"}, tags
s3.put_object_tagging(Bucket=bucket, Key="tagged", Tagging={"TagSet": [{"Key": "c", "Value": "3"}]})
assert s3.get_object_tagging(Bucket=bucket, Key="tagged")["TagSet"] == [{"Key": "c", "Value": "3"}]
assert s3.head_object(Bucket=bucket, Key="tagged")["ResponseMetadata"]["HTTPHeaders"]["x-amz-tagging-count"] == "1"
s3.delete_object_tagging(Bucket=bucket, Key="tagged")
assert s3.get_object_tagging(Bucket=bucket, Key="tagged")["TagSet"] == []
s3.put_bucket_tagging(Bucket=bucket, Tagging={"TagSet": [{"Key": "team", "Value": "storage"}]})
assert s3.get_bucket_tagging(Bucket=bucket)["TagSet"] == [{"Key": "team", "Value": "storage"}]
check("tagging")

# Checksums (CRC32C and CRC64NVME need botocore[crt]: tested with the Go SDK).
data = os.urandom(200000)
expected = {
    "CRC32": base64.b64encode(zlib.crc32(data).to_bytes(4, "big")).decode(),
    "SHA1": base64.b64encode(hashlib.sha1(data).digest()).decode(),
    "SHA256": base64.b64encode(hashlib.sha256(data).digest()).decode(),
}
for algo, want in expected.items():
    key = "ck-" + algo
    put = s3.put_object(Bucket=bucket, Key=key, Body=data, ChecksumAlgorithm=algo)
    assert put["Checksum" + algo] == want, (algo, put)
    got = s3.get_object(Bucket=bucket, Key=key, ChecksumMode="ENABLED")
    assert got["Checksum" + algo] == want, (algo, got.get("Checksum" + algo))
    assert got["Body"].read() == data
    head = s3.head_object(Bucket=bucket, Key=key, ChecksumMode="ENABLED")
    assert head["Checksum" + algo] == want
    attrs = s3.get_object_attributes(Bucket=bucket, Key=key, ObjectAttributes=["Checksum", "ObjectSize"])
    assert attrs["Checksum"]["Checksum" + algo] == want and attrs["ObjectSize"] == len(data)
check("checksums")
bad = base64.b64encode(hashlib.sha256(b"other").digest()).decode()
code, status = error_code(s3.put_object, Bucket=bucket, Key="bad", Body=data, ChecksumSHA256=bad)
assert (code, status) == ("BadDigest", 400), (code, status)
code, _ = error_code(s3.head_object, Bucket=bucket, Key="bad")
assert code == "404", code
check("checksum mismatch")

# A multipart upload with SHA256 checksums: composite object checksum.
mp = s3.create_multipart_upload(Bucket=bucket, Key="mp", ChecksumAlgorithm="SHA256")
parts, digests = [], b""
for n, chunk in enumerate([os.urandom(5 << 20), os.urandom(1000)], start=1):
    r = s3.upload_part(Bucket=bucket, Key="mp", UploadId=mp["UploadId"], PartNumber=n, Body=chunk, ChecksumAlgorithm="SHA256")
    assert r["ChecksumSHA256"] == base64.b64encode(hashlib.sha256(chunk).digest()).decode()
    digests += hashlib.sha256(chunk).digest()
    parts.append({"PartNumber": n, "ETag": r["ETag"], "ChecksumSHA256": r["ChecksumSHA256"]})
lp = s3.list_parts(Bucket=bucket, Key="mp", UploadId=mp["UploadId"])
assert [p["ChecksumSHA256"] for p in lp["Parts"]] == [p["ChecksumSHA256"] for p in parts]
done = s3.complete_multipart_upload(Bucket=bucket, Key="mp", UploadId=mp["UploadId"], MultipartUpload={"Parts": parts})
composite = base64.b64encode(hashlib.sha256(digests).digest()).decode() + "-2"
assert done["ChecksumSHA256"] == composite, (done.get("ChecksumSHA256"), composite)
got = s3.head_object(Bucket=bucket, Key="mp", ChecksumMode="ENABLED")
assert got["ChecksumSHA256"] == composite and got["ChecksumType"] == "COMPOSITE"
check("multipart composite checksum")

print("%d passed, 0 failed" % passed)
