#!/usr/bin/env python3
"""Server-side encryption through boto3. Run by TestBoto3 against a real
server (with a KMS master key, SSE-C over HTTP allowed and the KMS key
"boto-key" created); by hand:

    ANODE_ENDPOINT=http://127.0.0.1:8080 AWS_ACCESS_KEY_ID=... AWS_SECRET_ACCESS_KEY=... \
    python3 sse_boto3.py

Exits non-zero on the first failed check.
"""
import base64
import hashlib
import json
import os
import sys

import boto3
from botocore.config import Config
from botocore.exceptions import ClientError

s3 = boto3.client(
    "s3",
    endpoint_url=os.environ["ANODE_ENDPOINT"],
    region_name="us-east-1",
    config=Config(s3={"addressing_style": "path"}, retries={"max_attempts": 1}),
)
bucket = "boto-sse"
checks = 0


def check(cond, what):
    global checks
    if not cond:
        print("FAIL:", what, file=sys.stderr)
        sys.exit(1)
    checks += 1


def code_of(fn):
    try:
        fn()
    except ClientError as e:
        return e.response["Error"]["Code"], e.response["ResponseMetadata"]["HTTPStatusCode"]
    return None, 200


s3.create_bucket(Bucket=bucket)
data = os.urandom(3 * 1024 * 1024 + 17)

# SSE-S3
r = s3.put_object(Bucket=bucket, Key="s3", Body=data, ServerSideEncryption="AES256")
check(r["ServerSideEncryption"] == "AES256", "put SSE-S3 answer")
g = s3.get_object(Bucket=bucket, Key="s3", Range="bytes=1000-2000000")
check(g["Body"].read() == data[1000:2000001], "SSE-S3 range")
check(g["ServerSideEncryption"] == "AES256", "get SSE-S3 header")
check(s3.head_object(Bucket=bucket, Key="s3")["ServerSideEncryption"] == "AES256", "head SSE-S3")

# SSE-KMS with a named key and a context
ctx = base64.b64encode(json.dumps({"team": "boto"}).encode()).decode()
r = s3.put_object(Bucket=bucket, Key="kms", Body=data, ServerSideEncryption="aws:kms",
                  SSEKMSKeyId="boto-key", SSEKMSEncryptionContext=ctx)
check(r["ServerSideEncryption"] == "aws:kms" and r["SSEKMSKeyId"] == "boto-key", "put SSE-KMS answer")
h = s3.head_object(Bucket=bucket, Key="kms")
check(h["SSEKMSKeyId"] == "boto-key", "head SSE-KMS key id")
check(s3.get_object(Bucket=bucket, Key="kms")["Body"].read() == data, "get SSE-KMS")
check(code_of(lambda: s3.put_object(Bucket=bucket, Key="x", Body=b"x", ServerSideEncryption="aws:kms",
                                    SSEKMSKeyId="missing"))[0] == "KMS.NotFoundException", "unknown KMS key")

# SSE-C
key = os.urandom(32)
wrong = os.urandom(32)
ssec = dict(SSECustomerAlgorithm="AES256", SSECustomerKey=key)
r = s3.put_object(Bucket=bucket, Key="c", Body=data, **ssec)
check(r["SSECustomerKeyMD5"] == base64.b64encode(hashlib.md5(key).digest()).decode(), "put SSE-C key MD5")
check(s3.get_object(Bucket=bucket, Key="c", **ssec)["Body"].read() == data, "get SSE-C")
check(code_of(lambda: s3.get_object(Bucket=bucket, Key="c")) == ("InvalidRequest", 400), "SSE-C without key")
check(code_of(lambda: s3.get_object(Bucket=bucket, Key="c", SSECustomerAlgorithm="AES256",
                                    SSECustomerKey=wrong)) == ("AccessDenied", 403), "SSE-C wrong key")

# Copy SSE-C -> SSE-KMS
r = s3.copy_object(Bucket=bucket, Key="c2kms", CopySource={"Bucket": bucket, "Key": "c"},
                   CopySourceSSECustomerAlgorithm="AES256", CopySourceSSECustomerKey=key,
                   ServerSideEncryption="aws:kms", SSEKMSKeyId="boto-key")
check(r["ServerSideEncryption"] == "aws:kms", "copy answer")
check(s3.get_object(Bucket=bucket, Key="c2kms")["Body"].read() == data, "copy SSE-C to SSE-KMS")

# Multipart under SSE-C: every part carries the key
up = s3.create_multipart_upload(Bucket=bucket, Key="mp", **ssec)
parts = []
for i, chunk in enumerate([data[:2 * 1024 * 1024], data[2 * 1024 * 1024:]]):
    p = s3.upload_part(Bucket=bucket, Key="mp", UploadId=up["UploadId"], PartNumber=i + 1, Body=chunk, **ssec)
    parts.append({"PartNumber": i + 1, "ETag": p["ETag"]})
s3.complete_multipart_upload(Bucket=bucket, Key="mp", UploadId=up["UploadId"], MultipartUpload={"Parts": parts})
check(s3.get_object(Bucket=bucket, Key="mp", **ssec)["Body"].read() == data, "multipart SSE-C")

# Bucket default encryption
s3.put_bucket_encryption(Bucket=bucket, ServerSideEncryptionConfiguration={
    "Rules": [{"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}}]})
rule = s3.get_bucket_encryption(Bucket=bucket)["ServerSideEncryptionConfiguration"]["Rules"][0]
check(rule["ApplyServerSideEncryptionByDefault"]["SSEAlgorithm"] == "AES256", "get bucket encryption")
check(s3.put_object(Bucket=bucket, Key="default", Body=b"hello")["ServerSideEncryption"] == "AES256", "bucket default applied")
s3.delete_bucket_encryption(Bucket=bucket)
check("ServerSideEncryption" not in s3.put_object(Bucket=bucket, Key="plain", Body=b"hello"), "default removed")

print(f"sse_boto3.py: {checks} checks passed")
