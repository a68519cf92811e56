"""boto3 against a running Anode: Object Lock and lifecycle rules.

Run by TestBoto3ObjectLock (boto3_test.go) with ANODE_ENDPOINT and the
credentials in the environment. Every check is an assert; the script
prints one line per passed check and exits non-zero on the first failure.
"""
import datetime
import os
import time

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


def code(fn):
    try:
        fn()
    except ClientError as e:
        return e.response["Error"]["Code"]
    return None


bucket = "boto3-lock-%d" % (time.time_ns() % 1000000)
s3.create_bucket(Bucket=bucket, ObjectLockEnabledForBucket=True)
assert s3.get_bucket_versioning(Bucket=bucket)["Status"] == "Enabled"
check("lock bucket is versioned")

s3.put_object_lock_configuration(
    Bucket=bucket,
    ObjectLockConfiguration={
        "ObjectLockEnabled": "Enabled",
        "Rule": {"DefaultRetention": {"Mode": "GOVERNANCE", "Days": 1}},
    },
)
cfg = s3.get_object_lock_configuration(Bucket=bucket)["ObjectLockConfiguration"]
assert cfg["Rule"]["DefaultRetention"] == {"Mode": "GOVERNANCE", "Days": 1}, cfg
check("lock configuration round trip")

v = s3.put_object(Bucket=bucket, Key="k", Body=b"data")["VersionId"]
head = s3.head_object(Bucket=bucket, Key="k", VersionId=v)
assert head["ObjectLockMode"] == "GOVERNANCE", head
check("default retention applied")

assert code(lambda: s3.delete_object(Bucket=bucket, Key="k", VersionId=v)) == "AccessDenied"
check("governance blocks a delete without bypass")

until = datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(hours=1)
c = s3.put_object(Bucket=bucket, Key="c", Body=b"c", ObjectLockMode="COMPLIANCE", ObjectLockRetainUntilDate=until)["VersionId"]
assert code(lambda: s3.delete_object(Bucket=bucket, Key="c", VersionId=c, BypassGovernanceRetention=True)) == "AccessDenied"
check("compliance blocks a delete with bypass")

assert code(lambda: s3.put_object_retention(
    Bucket=bucket, Key="c", VersionId=c,
    Retention={"Mode": "COMPLIANCE", "RetainUntilDate": until - datetime.timedelta(minutes=1)},
    BypassGovernanceRetention=True)) == "AccessDenied"
check("compliance cannot be shortened")

s3.put_object_legal_hold(Bucket=bucket, Key="k", VersionId=v, LegalHold={"Status": "ON"})
assert s3.get_object_legal_hold(Bucket=bucket, Key="k", VersionId=v)["LegalHold"]["Status"] == "ON"
assert code(lambda: s3.delete_object(Bucket=bucket, Key="k", VersionId=v, BypassGovernanceRetention=True)) == "AccessDenied"
check("legal hold blocks a delete with bypass")
s3.put_object_legal_hold(Bucket=bucket, Key="k", VersionId=v, LegalHold={"Status": "OFF"})
s3.delete_object(Bucket=bucket, Key="k", VersionId=v, BypassGovernanceRetention=True)
check("governance yields to the bypass once the hold is released")

s3.put_bucket_lifecycle_configuration(
    Bucket=bucket,
    LifecycleConfiguration={"Rules": [
        {"ID": "tmp", "Status": "Enabled", "Filter": {"Prefix": "tmp/"},
         "Expiration": {"Days": 30}, "NoncurrentVersionExpiration": {"NoncurrentDays": 7}},
    ]},
)
rules = s3.get_bucket_lifecycle_configuration(Bucket=bucket)["Rules"]
assert rules[0]["ID"] == "tmp" and rules[0]["Filter"] == {"Prefix": "tmp/"}, rules
check("lifecycle round trip")
s3.put_object(Bucket=bucket, Key="tmp/x", Body=b"x")
exp = s3.head_object(Bucket=bucket, Key="tmp/x")["Expiration"]
assert 'rule-id="tmp"' in exp, exp
check("x-amz-expiration")

print("%d passed, 0 failed" % passed)
