#!/usr/bin/env python3
"""Side by side: `terraform plan -refresh-only` vs `driftgate scan` on one applied stack.

Generates a terraform stack of about --resources N resources (a mix close to a real account:
VPCs, subnets, security groups with inline and separate rules, instances, IAM roles with inline
and attached policies, users), applies it on a fresh moto server on a free loopback port, then
times each tool (median of --repeat runs) and counts the API calls each made from moto's request
log (one line per HTTP request). See bench/README.md.

Only the standard library (boto3, moto's own dependency, for --drift); needs terraform,
moto_server and an aws provider mirror.
"""

import argparse
import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

# One "unit" (a VPC and what hangs off it, plus a slice of IAM); 35 resources.
UNIT = {
    "aws_vpc": 1,
    "aws_subnet": 4,
    "aws_security_group": 4,
    "aws_security_group_rule": 3,
    "aws_vpc_security_group_ingress_rule": 2,
    "aws_vpc_security_group_egress_rule": 1,
    "aws_instance": 3,
    "aws_iam_role": 4,
    "aws_iam_role_policy": 4,
    "aws_iam_policy": 2,
    "aws_iam_role_policy_attachment": 4,
    "aws_iam_user": 1,
    "aws_iam_user_policy": 1,
    "aws_iam_user_policy_attachment": 1,
}
UNIT_SIZE = sum(UNIT.values())

ROOT_TF = """\
terraform {
  required_providers {
    aws = { source = "hashicorp/aws", version = ">= 5.0" }
  }
}

variable "endpoint" { type = string }

provider "aws" {
  region                      = "us-east-1"
  access_key                  = "testing"
  secret_key                  = "testing"
  skip_credentials_validation = true
  skip_metadata_api_check     = true
  skip_requesting_account_id  = true
  skip_region_validation      = true
  endpoints {
    ec2 = var.endpoint
    iam = var.endpoint
    sts = var.endpoint
    s3  = var.endpoint
  }
}

module "unit" {
  source = "./unit"
  count  = UNITS
  index  = count.index
}
"""

UNIT_TF = """\
variable "index" { type = number }

locals {
  p     = "bench-u${var.index}"
  tags  = { team = "team-${var.index % 7}", env = "bench", unit = tostring(var.index) }
  trust = jsonencode({
    Version   = "2012-10-17"
    Statement = [{ Effect = "Allow", Principal = { Service = "ec2.amazonaws.com" }, Action = "sts:AssumeRole" }]
  })
}

resource "aws_vpc" "this" {
  cidr_block           = "10.${var.index}.0.0/16"
  enable_dns_hostnames = true
  tags                 = merge(local.tags, { Name = local.p })
}

resource "aws_subnet" "this" {
  count      = 4
  vpc_id     = aws_vpc.this.id
  cidr_block = "10.${var.index}.${count.index}.0/24"
  tags       = merge(local.tags, { Name = "${local.p}-s${count.index}" })
}

resource "aws_security_group" "inline" {
  count       = 2
  name        = "${local.p}-inline-${count.index}"
  description = "inline rules"
  vpc_id      = aws_vpc.this.id
  ingress {
    from_port   = 443
    to_port     = 443
    protocol    = "tcp"
    cidr_blocks = ["10.0.0.0/8", "192.168.0.0/16"]
  }
  ingress {
    from_port   = 8000 + count.index
    to_port     = 8000 + count.index
    protocol    = "tcp"
    cidr_blocks = ["10.${var.index}.0.0/16"]
  }
  egress {
    from_port   = 0
    to_port     = 0
    protocol    = "-1"
    cidr_blocks = ["0.0.0.0/0"]
  }
  tags = local.tags
}

resource "aws_security_group" "db" {
  name        = "${local.p}-db"
  description = "rules as aws_security_group_rule"
  vpc_id      = aws_vpc.this.id
  tags        = local.tags
}

resource "aws_security_group_rule" "db" {
  count             = 2
  type              = "ingress"
  security_group_id = aws_security_group.db.id
  from_port         = 5432 + count.index
  to_port           = 5432 + count.index
  protocol          = "tcp"
  cidr_blocks       = ["10.${var.index}.0.0/24", "10.${var.index}.1.0/24"]
}

resource "aws_security_group_rule" "db_egress" {
  type              = "egress"
  security_group_id = aws_security_group.db.id
  from_port         = 0
  to_port           = 0
  protocol          = "-1"
  cidr_blocks       = ["0.0.0.0/0"]
}

resource "aws_security_group" "api" {
  name        = "${local.p}-api"
  description = "rules as vpc_security_group_*_rule"
  vpc_id      = aws_vpc.this.id
  tags        = local.tags
}

resource "aws_vpc_security_group_ingress_rule" "api" {
  count             = 2
  security_group_id = aws_security_group.api.id
  from_port         = 443 + count.index
  to_port           = 443 + count.index
  ip_protocol       = "tcp"
  cidr_ipv4         = "10.0.0.0/8"
}

resource "aws_vpc_security_group_egress_rule" "api" {
  security_group_id = aws_security_group.api.id
  ip_protocol       = "-1"
  cidr_ipv4         = "0.0.0.0/0"
}

resource "aws_instance" "this" {
  for_each               = toset(["a", "b", "c"])
  ami                    = "ami-12c6146b"
  instance_type          = "t3.micro"
  subnet_id              = aws_subnet.this[0].id
  vpc_security_group_ids = [aws_security_group.inline[0].id]
  tags                   = merge(local.tags, { Name = "${local.p}-${each.key}" })
}

resource "aws_iam_policy" "this" {
  count = 2
  name  = "${local.p}-policy-${count.index}"
  policy = jsonencode({
    Version   = "2012-10-17"
    Statement = [{ Effect = "Allow", Action = ["ec2:Describe*", "s3:List*"], Resource = "*" }]
  })
  tags = local.tags
}

resource "aws_iam_role" "this" {
  count              = 4
  name               = "${local.p}-role-${count.index}"
  assume_role_policy = local.trust
  tags               = local.tags
}

resource "aws_iam_role_policy" "this" {
  count = 4
  name  = "inline"
  role  = aws_iam_role.this[count.index].id
  policy = jsonencode({
    Version   = "2012-10-17"
    Statement = [{ Effect = "Allow", Action = "s3:GetObject", Resource = "arn:aws:s3:::${local.p}-${count.index}/*" }]
  })
}

resource "aws_iam_role_policy_attachment" "this" {
  count      = 4
  role       = aws_iam_role.this[count.index].name
  policy_arn = aws_iam_policy.this[count.index % 2].arn
}

resource "aws_iam_user" "this" {
  name = "${local.p}-user"
  tags = local.tags
}

resource "aws_iam_user_policy" "this" {
  name = "inline"
  user = aws_iam_user.this.name
  policy = jsonencode({
    Version   = "2012-10-17"
    Statement = [{ Effect = "Allow", Action = "s3:PutObject", Resource = "*" }]
  })
}

resource "aws_iam_user_policy_attachment" "this" {
  user       = aws_iam_user.this.name
  policy_arn = aws_iam_policy.this[0].arn
}
"""

# The second mix ("vpcs-policies"): many VPCs and many customer managed policies, 11 resources
# per unit: a VPC, a subnet, two security groups (the four rule styles over two units: inline
# rules and aws_security_group_rule in even units, no rules and vpc_security_group_*_rule in odd
# ones), two rules, an instance, a role with an inline policy, a customer policy and its
# attachment. 100 units are the 1,100-resource mix of issue 10's held-out measurement.
MIX2_UNIT_SIZE = 11

MIX2_ROOT = """\
module "even" {
  source = "./even"
  count  = EVEN
  index  = count.index * 2
}

module "odd" {
  source = "./odd"
  count  = ODD
  index  = count.index * 2 + 1
}
"""

MIX2_COMMON = """\
variable "index" { type = number }

locals {
  p    = "mix2-u${var.index}"
  net  = "10.${floor(var.index / 256) + 100}.${var.index % 256}"
  tags = { team = "team-${var.index % 5}", env = "bench" }
}

resource "aws_vpc" "this" {
  cidr_block           = "${local.net}.0/24"
  enable_dns_hostnames = var.index % 3 == 0
  tags                 = merge(local.tags, { Name = local.p })
}

resource "aws_subnet" "this" {
  vpc_id     = aws_vpc.this.id
  cidr_block = "${local.net}.0/26"
  tags       = local.tags
}

resource "aws_instance" "this" {
  ami                    = "ami-12c6146b"
  instance_type          = "t3.micro"
  subnet_id              = aws_subnet.this.id
  vpc_security_group_ids = [aws_security_group.a.id]
  tags                   = merge(local.tags, { Name = local.p })
}

resource "aws_iam_role" "this" {
  name = "${local.p}-role"
  assume_role_policy = jsonencode({
    Version   = "2012-10-17"
    Statement = [{ Effect = "Allow", Principal = { Service = "lambda.amazonaws.com" }, Action = "sts:AssumeRole" }]
  })
  tags = local.tags
}

resource "aws_iam_role_policy" "this" {
  name = "logs"
  role = aws_iam_role.this.id
  policy = jsonencode({
    Version   = "2012-10-17"
    Statement = [{ Effect = "Allow", Action = ["logs:CreateLogStream", "logs:PutLogEvents"], Resource = "*" }]
  })
}

resource "aws_iam_policy" "this" {
  name = "${local.p}-policy"
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      { Effect = "Allow", Action = ["s3:GetObject", "s3:ListBucket"], Resource = ["arn:aws:s3:::${local.p}", "arn:aws:s3:::${local.p}/*"] },
      { Effect = "Deny", Action = "s3:DeleteBucket", Resource = "*" },
    ]
  })
  tags = local.tags
}

resource "aws_iam_role_policy_attachment" "this" {
  role       = aws_iam_role.this.name
  policy_arn = aws_iam_policy.this.arn
}
"""

MIX2_EVEN = MIX2_COMMON + """
resource "aws_security_group" "a" {
  name        = "${local.p}-inline"
  description = "inline rules"
  vpc_id      = aws_vpc.this.id
  ingress {
    from_port   = 443
    to_port     = 443
    protocol    = "tcp"
    cidr_blocks = ["10.0.0.0/8"]
  }
  egress {
    from_port   = 0
    to_port     = 0
    protocol    = "-1"
    cidr_blocks = ["0.0.0.0/0"]
  }
  tags = local.tags
}

resource "aws_security_group" "b" {
  name        = "${local.p}-rules"
  description = "aws_security_group_rule"
  vpc_id      = aws_vpc.this.id
  tags        = local.tags
}

resource "aws_security_group_rule" "b" {
  count             = 2
  type              = "ingress"
  security_group_id = aws_security_group.b.id
  from_port         = 5432 + count.index
  to_port           = 5432 + count.index
  protocol          = "tcp"
  cidr_blocks       = ["${local.net}.0/26"]
}
"""

MIX2_ODD = MIX2_COMMON + """
resource "aws_security_group" "a" {
  name        = "${local.p}-empty"
  description = "no rules"
  vpc_id      = aws_vpc.this.id
  egress      = []
  ingress     = []
  tags        = local.tags
}

resource "aws_security_group" "b" {
  name        = "${local.p}-vpc-rules"
  description = "vpc_security_group_*_rule"
  vpc_id      = aws_vpc.this.id
  tags        = local.tags
}

resource "aws_vpc_security_group_ingress_rule" "b" {
  security_group_id = aws_security_group.b.id
  from_port         = 8443
  to_port           = 8443
  ip_protocol       = "tcp"
  cidr_ipv4         = "10.0.0.0/8"
}

resource "aws_vpc_security_group_egress_rule" "b" {
  security_group_id = aws_security_group.b.id
  ip_protocol       = "-1"
  cidr_ipv4         = "0.0.0.0/0"
}
"""


def log(msg):
    print(f"[{time.strftime('%H:%M:%S')}] {msg}", flush=True)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def find_plugin_dir():
    cands = [os.environ.get("DRIFTGATE_TF_PLUGIN_DIR"), "/opt/tf-plugins",
             os.path.expanduser("~/.terraform.d/plugins"),
             os.path.expanduser("~/.local/share/terraform/plugins")]
    for c in filter(None, cands):
        if list(Path(c).glob("registry.terraform.io/hashicorp/aws/*/*/terraform-provider-aws*")):
            return c
    sys.exit("no hashicorp/aws provider mirror found (set DRIFTGATE_TF_PLUGIN_DIR)")


class Moto:
    """moto_server on a free loopback port; its request log counts API calls."""

    def __init__(self, workdir):
        if not shutil.which("moto_server"):
            sys.exit("moto_server is not on PATH (pip install 'moto[server]')")
        for _ in range(5):
            self.port = free_port()
            self.endpoint = f"http://127.0.0.1:{self.port}"
            self.log_path = workdir / f"moto-{self.port}.log"
            self.log_file = open(self.log_path, "w")
            self.proc = subprocess.Popen(
                # tests/support/moto_plus.py: moto_server with the EC2 actions moto lacks
                # (placement groups), as the live tests start it.
                [sys.executable, str(ROOT / "tests" / "support" / "moto_plus.py"),
                 "-H", "127.0.0.1", "-p", str(self.port)],
                stdout=self.log_file, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                env={**os.environ, "PYTHONUNBUFFERED": "1"})
            deadline = time.time() + 30
            while time.time() < deadline and self.proc.poll() is None:
                try:
                    urllib.request.urlopen(f"{self.endpoint}/moto-api/", timeout=2).read()
                    return
                except OSError:
                    time.sleep(0.2)
            self.stop()
        sys.exit("moto_server did not start")

    def requests(self):
        with open(self.log_path, errors="replace") as f:
            return sum(1 for line in f if '] "' in line and " HTTP/1." in line)

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
        self.log_file.close()


def clean_env(moto, cli_config):
    # Nothing from the caller's AWS or terraform setup may leak in.
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "TF_"))}
    env.update({
        "AWS_ENDPOINT_URL": moto.endpoint,
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_REGION": "us-east-1",
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_EC2_METADATA_DISABLED": "true",
        "AWS_CONFIG_FILE": str(cli_config),
        "AWS_SHARED_CREDENTIALS_FILE": str(cli_config),
        "TF_IN_AUTOMATION": "1",
        "TF_INPUT": "0",
        "CHECKPOINT_DISABLE": "1",
        "TF_CLI_CONFIG_FILE": str(cli_config),
    })
    return env


def generate(stack, n, mix):
    """Writes the stack; returns (units, resources, unit size)."""
    if mix == "vpcs-policies":
        units = max(2, round(n / MIX2_UNIT_SIZE))
        if units > 25600:
            sys.exit("at most 25,600 units")
        provider = ROOT_TF[: ROOT_TF.index('module "unit"')]
        (stack / "even").mkdir(parents=True, exist_ok=True)
        (stack / "odd").mkdir(parents=True, exist_ok=True)
        root = MIX2_ROOT.replace("EVEN", str((units + 1) // 2)).replace("ODD", str(units // 2))
        (stack / "main.tf").write_text(provider + root)
        (stack / "even" / "main.tf").write_text(MIX2_EVEN)
        (stack / "odd" / "main.tf").write_text(MIX2_ODD)
        return units, units * MIX2_UNIT_SIZE, MIX2_UNIT_SIZE
    units = max(1, round(n / UNIT_SIZE))
    if units > 250:
        sys.exit("at most 250 units (10.X.0.0/16 per unit)")
    (stack / "unit").mkdir(parents=True, exist_ok=True)
    (stack / "main.tf").write_text(ROOT_TF.replace("UNITS", str(units)))
    (stack / "unit" / "main.tf").write_text(UNIT_TF)
    return units, units * UNIT_SIZE, UNIT_SIZE


# Out-of-band drift, made through boto3 (moto's own dependency) after the apply: each kind
# changes what both tools must notice, on resources spread over the whole stack.
DRIFT_KINDS = ["vpc_tag", "vpc_dns", "sg_ingress", "instance_tag", "role_tag", "policy_version",
               "role_description"]


def inject_drift(state_path, endpoint, count):
    """Drifts `count` resources (round-robin over DRIFT_KINDS); returns {address: cloud id}."""
    import boto3

    kw = dict(endpoint_url=endpoint, region_name="us-east-1", aws_access_key_id="testing",
              aws_secret_access_key="testing")
    ec2, iam = boto3.client("ec2", **kw), boto3.client("iam", **kw)
    by_type = {}
    for r in json.loads(state_path.read_text())["resources"]:
        if r.get("mode") != "managed":
            continue
        for i in r["instances"]:
            key = i.get("index_key")
            addr = (r.get("module") + "." if r.get("module") else "") + f"{r['type']}.{r['name']}"
            if key is not None:
                addr += f'["{key}"]' if isinstance(key, str) else f"[{key}]"
            by_type.setdefault(r["type"], []).append((addr, i["attributes"]))
    for v in by_type.values():
        v.sort(key=lambda x: x[0])
    drifted, used, ids = [], {}, {}
    for n in range(count):
        kind = DRIFT_KINDS[n % len(DRIFT_KINDS)]
        rtype = {"vpc_tag": "aws_vpc", "vpc_dns": "aws_vpc", "sg_ingress": "aws_security_group",
                 "instance_tag": "aws_instance", "role_tag": "aws_iam_role",
                 "policy_version": "aws_iam_policy", "role_description": "aws_iam_role"}[kind]
        pool = by_type.get(rtype, [])
        k = used.get(rtype, 0)
        if k >= len(pool):
            continue
        used[rtype] = k + 1
        # spread over the stack: a stride through the sorted addresses
        addr, a = pool[(k * 37) % len(pool)] if len(pool) > 37 else pool[k]
        if addr in drifted:
            addr, a = pool[k]
        ids[addr] = a["id"]
        if kind == "vpc_tag":
            ec2.create_tags(Resources=[a["id"]], Tags=[{"Key": "owner", "Value": "console"}])
        elif kind == "vpc_dns":
            ec2.modify_vpc_attribute(VpcId=a["id"],
                                     EnableDnsHostnames={"Value": not a["enable_dns_hostnames"]})
        elif kind == "sg_ingress":
            ec2.authorize_security_group_ingress(GroupId=a["id"], IpPermissions=[{
                "IpProtocol": "tcp", "FromPort": 22, "ToPort": 22,
                "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}])
        elif kind == "instance_tag":
            ec2.create_tags(Resources=[a["id"]], Tags=[{"Key": "Name", "Value": "renamed"}])
        elif kind == "role_tag":
            iam.tag_role(RoleName=a["name"], Tags=[{"Key": "team", "Value": "nobody"}])
        elif kind == "role_description":
            iam.update_role(RoleName=a["name"], Description="edited in the console")
        elif kind == "policy_version":
            doc = json.dumps({"Version": "2012-10-17", "Statement": [
                {"Effect": "Allow", "Action": "*", "Resource": "*"}]})
            iam.create_policy_version(PolicyArn=a["arn"], PolicyDocument=doc, SetAsDefault=True)
        drifted.append(addr)
    return {addr: ids[addr] for addr in sorted(set(drifted))}


def drift_found(report, address, cloud_id):
    """Whether a finding shows this drift: one on the resource itself, or, for a rule added
    to a security group whose rules are resources of their own, the unmanaged rule in it."""
    for f in report.get("findings", []):
        if f.get("address") == address:
            return True
        if f.get("kind") == "unmanaged" and cloud_id in json.dumps(f.get("observed", {})):
            return True
    return False


def run_streaming(cmd, cwd, env, total):
    """Run terraform apply, printing progress every ~10% of `total` creations."""
    p = subprocess.Popen(cmd, cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                         text=True)
    done, step, tail = 0, max(1, total // 10), []
    for line in p.stdout:
        tail = (tail + [line])[-40:]
        if "Creation complete" in line:
            done += 1
            if done % step == 0:
                log(f"  applied {done}/{total}")
    if p.wait() != 0:
        sys.stdout.write("".join(tail))
        sys.exit(f"{cmd[0]} {cmd[1]} failed")


def timed(cmd, cwd, env, moto, ok_codes):
    before = moto.requests()
    t0 = time.perf_counter()
    p = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True)
    secs = time.perf_counter() - t0
    time.sleep(0.3)  # let moto flush its log
    calls = moto.requests() - before
    if p.returncode not in ok_codes:
        sys.stdout.write(p.stdout[-4000:] + p.stderr[-4000:])
        sys.exit(f"{' '.join(cmd[:2])} exited {p.returncode}")
    return secs, calls, p


def build_driftgate():
    target = Path(os.environ.get("CARGO_TARGET_DIR") or
                  Path.home() / ".cache" / "driftgate-bench-target")
    log(f"cargo build --release (CARGO_TARGET_DIR={target})")
    subprocess.run(["cargo", "build", "--release", "--bin", "driftgate"], cwd=ROOT, check=True,
                   env={**os.environ, "CARGO_TARGET_DIR": str(target)})
    return target / "release" / "driftgate"


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--resources", type=int, default=1100, help="about how many resources (default 1100)")
    ap.add_argument("--repeat", type=int, default=3, help="timed runs of each tool; the median counts")
    ap.add_argument("--driftgate", help="driftgate binary (default: cargo build --release)")
    ap.add_argument("--skip-driftgate", action="store_true", help="time terraform only")
    ap.add_argument("--apply-parallelism", type=int, default=30)
    ap.add_argument("--workdir", help="keep the stack, state and logs here (default: a temp dir)")
    ap.add_argument("--json", help="write the results as JSON to this file")
    ap.add_argument("--mix", choices=["units", "vpcs-policies"], default="units",
                    help="the stack's mix (default units; see bench/README.md)")
    ap.add_argument("--drift", type=int, default=0,
                    help="drift this many resources out of band after the apply (needs boto3)")
    a = ap.parse_args()

    tf = shutil.which("terraform") or sys.exit("terraform is not on PATH")
    plugin_dir = find_plugin_dir()
    dg = None
    if not a.skip_driftgate:
        dg = Path(a.driftgate) if a.driftgate else build_driftgate()

    tmp = None
    if a.workdir:
        work = Path(a.workdir).resolve()
        work.mkdir(parents=True, exist_ok=True)
    else:
        tmp = tempfile.TemporaryDirectory(prefix="driftgate-bench-")
        work = Path(tmp.name)
    stack = work / "stack"
    units, total, unit_size = generate(stack, a.resources, a.mix)
    log(f"generated {total} resources ({units} units of {unit_size}, mix {a.mix}) in {stack}")

    moto = Moto(work)
    cli_config = work / "empty-config"
    cli_config.write_text("")
    env = clean_env(moto, cli_config)
    results = {"resources": total, "units": units, "mix": a.mix}
    try:
        log(f"moto on {moto.endpoint}; terraform init")
        subprocess.run([tf, "init", "-input=false", "-no-color", f"-plugin-dir={plugin_dir}"],
                       cwd=stack, env=env, check=True, stdout=subprocess.DEVNULL)
        t0 = time.perf_counter()
        log(f"terraform apply ({total} resources, parallelism {a.apply_parallelism})")
        run_streaming([tf, "apply", "-auto-approve", "-input=false", "-no-color",
                       f"-parallelism={a.apply_parallelism}", f"-var=endpoint={moto.endpoint}"],
                      stack, env, total)
        results["apply_secs"] = round(time.perf_counter() - t0, 1)
        state = stack / "terraform.tfstate"
        recorded = sum(len(r["instances"]) for r in json.loads(state.read_text())["resources"])
        results["recorded"] = recorded
        log(f"applied {recorded} resources in {results['apply_secs']}s")
        drifted = {}
        if a.drift:
            drifted = inject_drift(state, moto.endpoint, a.drift)
            results["drifted"] = len(drifted)
            log(f"drifted {len(drifted)} resources out of band")

        rows = {}
        for run in range(a.repeat):
            log(f"run {run + 1}/{a.repeat}: terraform plan -refresh-only")
            secs, calls, _ = timed([tf, "plan", "-refresh-only", "-input=false", "-no-color",
                                    "-lock=false", f"-var=endpoint={moto.endpoint}"],
                                   stack, env, moto, {0})
            rows.setdefault("terraform plan -refresh-only", []).append((secs, calls))
            if dg:
                log(f"run {run + 1}/{a.repeat}: driftgate scan")
                secs, calls, p = timed([str(dg), "scan", "--state", str(state), "--region",
                                        "us-east-1", "--format", "json"], stack, env, moto, {0, 2})
                rows.setdefault("driftgate scan", []).append((secs, calls))
                report = json.loads(p.stdout)
                missed = [d for d, i in drifted.items() if not drift_found(report, d, i)]
                results["drifts_found"] = len(drifted) - len(missed)
                results["drifts_missed"] = missed
                results["driftgate_findings"] = len(report.get("findings", []))
                results["driftgate_complete"] = report.get("complete")
                if report.get("api_calls"):
                    results["driftgate_api_calls"] = report["api_calls"]

        print()
        print(f"{total} resources ({recorded} recorded), moto, median of {a.repeat} run(s)")
        print(f"{'tool':32} {'wall s':>8} {'API calls':>10}")
        for tool, runs in rows.items():
            secs = statistics.median(r[0] for r in runs)
            calls = statistics.median(r[1] for r in runs)
            results[tool] = {"wall_secs": round(secs, 3), "api_calls": calls,
                             "runs": [{"wall_secs": round(s, 3), "api_calls": c} for s, c in runs]}
            print(f"{tool:32} {secs:8.2f} {calls:10.0f}")
        if "driftgate scan" in results:
            tfr, dgr = results["terraform plan -refresh-only"], results["driftgate scan"]
            results["speedup"] = round(tfr["wall_secs"] / max(dgr["wall_secs"], 1e-9), 1)
            results["call_ratio"] = round(tfr["api_calls"] / max(dgr["api_calls"], 1), 1)
            print(f"speed-up: {results['speedup']}x wall time, {results['call_ratio']}x fewer API calls")
            if dgr["api_calls"] == 0:
                print("WARNING: driftgate made no API calls to moto: the comparison is meaningless")
            print(f"driftgate: {results.get('driftgate_findings')} findings, "
                  f"complete={results.get('driftgate_complete')}")
            if drifted:
                print(f"drifts found: {results['drifts_found']} of {len(drifted)}"
                      + (f"; missed: {results['drifts_missed']}" if results["drifts_missed"] else ""))
            for op, n in sorted((results.get("driftgate_api_calls") or {}).items()):
                print(f"  {op:50} {n}")
        if a.json:
            Path(a.json).write_text(json.dumps(results, indent=2) + "\n")
    finally:
        moto.stop()
        if tmp:
            tmp.cleanup()


if __name__ == "__main__":
    main()
