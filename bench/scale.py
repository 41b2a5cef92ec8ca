#!/usr/bin/env python3
"""Scaling bench: driftgate against the enumeration floor, 1,000 to 10,000 resources.

For each size N (default 1000 3000 10000) it starts a fresh moto_server on a free loopback
port, fills it through the AWS SDK directly (boto3: no terraform apply) with about N resources
spread over three regions (VPCs, subnets, security groups with inline rules, instances) plus
IAM roles and customer managed policies, then runs, --repeat times each:

  - the floor: one sequential boto3 client that only pages through the batched listings
    driftgate needs (DescribeVpcs, DescribeSubnets, DescribeSecurityGroups,
    DescribeSecurityGroupRules, DescribeInstances per region; GetAccountAuthorizationDetails
    and ListRoles once);
  - `driftgate scan` with an empty state over the three regions (every resource unmanaged),
    its peak memory read from the kernel (ru_maxrss of the child).

It prints one table: size, medians of both wall times, their ratio, driftgate's API calls and
the floor's, and driftgate's peak RSS. `--json FILE` writes the raw figures.

Needs python3 with boto3 and moto[server] (scripts/test installs them) and a driftgate binary
(`--driftgate PATH`, else `cargo build --release` into CARGO_TARGET_DIR or
~/.cache/driftgate-bench-target). Only 127.0.0.1 is ever contacted.
"""

import argparse
import json
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request

REGIONS = ["us-east-1", "eu-west-1", "ap-southeast-2"]


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_moto(workdir):
    port = free_port()
    log = open(os.path.join(workdir, "moto.log"), "w")
    proc = subprocess.Popen(
        ["moto_server", "-H", "127.0.0.1", "-p", str(port)],
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    url = f"http://127.0.0.1:{port}"
    for _ in range(200):
        try:
            urllib.request.urlopen(url + "/moto-api/", timeout=1)
            return proc, url
        except Exception:
            time.sleep(0.1)
    proc.kill()
    raise SystemExit("moto_server did not start")


def env_for(url):
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith("AWS_") and not k.startswith("DRIFTGATE_")
    }
    env.update(
        AWS_ENDPOINT_URL=url,
        AWS_ACCESS_KEY_ID="testing",
        AWS_SECRET_ACCESS_KEY="testing",
        AWS_DEFAULT_REGION=REGIONS[0],
        AWS_REGION=REGIONS[0],
        NO_COLOR="1",
        CI="true",
    )
    return env


def clients(url, service, region):
    import boto3

    return boto3.client(
        service,
        region_name=region,
        endpoint_url=url,
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )


def fill(url, n):
    """About n resources: 80% EC2 spread over the regions, 20% IAM. Returns the count made."""
    made = 0
    ec2_share = int(n * 0.8)
    per_region = ec2_share // len(REGIONS)
    # A unit is 1 VPC, 2 subnets, 4 security groups (each with a rule), 1 instance: 8 objects.
    for region in REGIONS:
        ec2 = clients(url, "ec2", region)
        ami = ec2.describe_images()["Images"][0]["ImageId"]
        units = max(1, per_region // 8)
        for u in range(units):
            vpc = ec2.create_vpc(CidrBlock=f"10.{u % 250}.0.0/16")["Vpc"]["VpcId"]
            subnets = []
            for s in range(2):
                subnets.append(
                    ec2.create_subnet(VpcId=vpc, CidrBlock=f"10.{u % 250}.{s}.0/24")[
                        "Subnet"
                    ]["SubnetId"]
                )
            for g in range(4):
                sg = ec2.create_security_group(
                    GroupName=f"bench-{u}-{g}", Description="bench", VpcId=vpc
                )["GroupId"]
                ec2.authorize_security_group_ingress(
                    GroupId=sg,
                    IpPermissions=[
                        {
                            "IpProtocol": "tcp",
                            "FromPort": 443,
                            "ToPort": 443,
                            "IpRanges": [{"CidrIp": "10.0.0.0/8"}],
                        }
                    ],
                )
            ec2.run_instances(
                ImageId=ami, MinCount=1, MaxCount=1, InstanceType="t3.micro", SubnetId=subnets[0]
            )
            made += 8
    iam = clients(url, "iam", REGIONS[0])
    trust = json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Effect": "Allow",
                    "Principal": {"Service": "ec2.amazonaws.com"},
                    "Action": "sts:AssumeRole",
                }
            ],
        }
    )
    doc = json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}],
        }
    )
    for i in range((n - made) // 2):
        iam.create_role(RoleName=f"bench-role-{i}", AssumeRolePolicyDocument=trust)
        iam.create_policy(PolicyName=f"bench-policy-{i}", PolicyDocument=doc)
        made += 2
    return made


def floor(url):
    """One sequential client paging through the batched listings; returns (seconds, calls)."""
    started = time.monotonic()
    calls = 0
    for region in REGIONS:
        ec2 = clients(url, "ec2", region)
        for op, key in [
            ("describe_vpcs", "Vpcs"),
            ("describe_subnets", "Subnets"),
            ("describe_security_groups", "SecurityGroups"),
            ("describe_security_group_rules", "SecurityGroupRules"),
            ("describe_instances", "Reservations"),
        ]:
            token = None
            while True:
                kw = {"MaxResults": 1000}
                if token:
                    kw["NextToken"] = token
                page = getattr(ec2, op)(**kw)
                calls += 1
                token = page.get("NextToken")
                if not token:
                    break
    iam = clients(url, "iam", REGIONS[0])
    for op in ["get_account_authorization_details", "list_roles"]:
        marker = None
        while True:
            kw = {"MaxItems": 1000}
            if marker:
                kw["Marker"] = marker
            page = getattr(iam, op)(**kw)
            calls += 1
            marker = page.get("Marker") if page.get("IsTruncated") else None
            if not marker:
                break
    return time.monotonic() - started, calls


def driftgate_scan(binary, url, state, workdir):
    """Returns (seconds, api calls, peak RSS in MB, findings)."""
    args = [binary, "scan", "--state", state, "--format", "json"]
    for r in REGIONS:
        args += ["--region", r]
    out_path = os.path.join(workdir, "report.json")
    err_path = os.path.join(workdir, "stderr.txt")
    started = time.monotonic()
    with open(out_path, "wb") as out, open(err_path, "wb") as err:
        proc = subprocess.Popen(args, env=env_for(url), cwd=workdir, stdout=out, stderr=err)
        # wait4 reaps this child alone and gives its own peak RSS (kilobytes on Linux).
        _, status, usage = os.wait4(proc.pid, 0)
    wall = time.monotonic() - started
    proc.returncode = os.waitstatus_to_exitcode(status)
    rss_mb = usage.ru_maxrss / 1024
    out = open(out_path, "rb").read()
    err = open(err_path, "rb").read()
    if proc.returncode not in (0, 2):
        raise SystemExit(f"driftgate exited {proc.returncode}: {err.decode()[-2000:]}")
    report = json.loads(out)
    calls = sum(report.get("api_calls", {}).values())
    return wall, calls, rss_mb, len(report["findings"])


def build_driftgate():
    target = os.environ.get("CARGO_TARGET_DIR") or os.path.expanduser(
        "~/.cache/driftgate-bench-target"
    )
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    subprocess.run(
        ["cargo", "build", "--release", "--bin", "driftgate"],
        cwd=root,
        env={**os.environ, "CARGO_TARGET_DIR": target},
        check=True,
    )
    return os.path.join(target, "release", "driftgate")


EMPTY_STATE = {
    "version": 4,
    "terraform_version": "1.11.4",
    "serial": 1,
    "lineage": "00000000-0000-0000-0000-000000000000",
    "outputs": {},
    "resources": [],
    "check_results": None,
}


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--sizes", type=int, nargs="+", default=[1000, 3000, 10000])
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--driftgate")
    ap.add_argument("--json")
    args = ap.parse_args()
    binary = args.driftgate or build_driftgate()
    rows = []
    for n in args.sizes:
        workdir = tempfile.mkdtemp(prefix="dg-scale-")
        proc, url = start_moto(workdir)
        try:
            t0 = time.monotonic()
            made = fill(url, n)
            fill_s = time.monotonic() - t0
            state = os.path.join(workdir, "empty.tfstate")
            with open(state, "w") as f:
                json.dump(EMPTY_STATE, f)
            floors, scans = [], []
            for _ in range(args.repeat):
                floors.append(floor(url))
                scans.append(driftgate_scan(binary, url, state, workdir))
            row = {
                "resources": made,
                "fill_s": round(fill_s, 1),
                "floor_s": statistics.median(f[0] for f in floors),
                "floor_calls": floors[0][1],
                "scan_s": statistics.median(s[0] for s in scans),
                "scan_calls": scans[0][1],
                "peak_rss_mb": max(s[2] for s in scans),
                "findings": scans[0][3],
            }
            row["ratio"] = row["scan_s"] / row["floor_s"] if row["floor_s"] else None
            rows.append(row)
            print(json.dumps(row), file=sys.stderr, flush=True)
        finally:
            os.killpg(proc.pid, signal.SIGTERM)
            proc.wait()
            shutil.rmtree(workdir, ignore_errors=True)
    print(
        "| resources | floor (s) | driftgate scan (s) | ratio | calls (scan / floor) | peak RSS (MB) | findings |"
    )
    print("|---|---|---|---|---|---|---|")
    for r in rows:
        print(
            f"| {r['resources']} | {r['floor_s']:.2f} | {r['scan_s']:.2f} | {r['ratio']:.2f}x "
            f"| {r['scan_calls']} / {r['floor_calls']} | {r['peak_rss_mb']:.0f} | {r['findings']} |"
        )
    if args.json:
        with open(args.json, "w") as f:
            json.dump(rows, f, indent=2)


if __name__ == "__main__":
    main()
