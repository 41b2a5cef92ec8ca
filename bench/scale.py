#!/usr/bin/env python3
"""Scaling bench: driftgate against the enumeration floor, 1,000 to 10,000 resources.

For each size N (default 1000 3000 10000) it starts a fresh moto_server on a free loopback
port, fills it through the AWS SDK directly (boto3: no terraform apply) with about N resources
of every supported type moto can make (EC2_UNIT spread over three regions, IAM_UNIT), then
runs, --repeat times each:

  - the floor: one sequential boto3 client that only pages through the batched listings
    driftgate needs (EC2_LISTINGS and EC2_SINGLE per region; IAM_LISTINGS and IAM_SINGLE
    once; ListAccessKeys, GetLoginProfile and ListSSHPublicKeys per user, which no batch API
    covers);
  - `driftgate scan` with an empty state over the three regions (every resource unmanaged),
    its peak memory read from the kernel (ru_maxrss of the child).

It prints one table: size, medians of both wall times, their ratio, driftgate's API calls and
the floor's, and driftgate's peak RSS. `--json FILE` writes the raw figures (each run's times,
ratios and RSS, the load average, and the operations whose call counts differ between the scan
and the floor).

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
# Any ami- id: moto does not check it exists.
AMI = "ami-12c6146b"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_moto(workdir):
    port = free_port()
    log = open(os.path.join(workdir, "moto.log"), "w")
    # A fresh account, as tests/support/moto.rs makes it: without moto's hundreds of public
    # images, whose snapshots moto lists even for DescribeSnapshots(OwnerIds=self).
    proc = subprocess.Popen(
        # tests/support/moto_plus.py: moto_server with the EC2 actions moto lacks (placement
        # groups), as the live tests start it.
        [sys.executable, MOTO_PLUS, "-H", "127.0.0.1", "-p", str(port)],
        env={**os.environ, "MOTO_EC2_LOAD_DEFAULT_AMIS": "false"},
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


# One EC2 unit (per VPC): what a VPC built by the public modules holds, plus compute, storage,
# images, VPN and logging. Each entry is one object a scan must find (unmanaged, every one of
# them user-made); `fill_ec2_unit` makes exactly these.
EC2_UNIT = [
    "aws_vpc",
    "aws_vpc_ipv4_cidr_block_association",
    "aws_subnet",
    "aws_subnet",
    "aws_security_group",
    "aws_security_group",
    "aws_security_group",
    "aws_security_group",
    # one ingress rule per group (the scan reports it as the group's rule)
    "aws_vpc_security_group_ingress_rule",
    "aws_vpc_security_group_ingress_rule",
    "aws_vpc_security_group_ingress_rule",
    "aws_vpc_security_group_ingress_rule",
    "aws_instance",
    "aws_internet_gateway",
    "aws_egress_only_internet_gateway",
    "aws_route_table",
    "aws_route",
    "aws_route_table_association",
    "aws_route_table_association",
    "aws_network_acl",
    "aws_network_acl_rule",
    "aws_network_acl_association",
    "aws_network_acl_association",
    "aws_eip",
    "aws_nat_gateway",
    "aws_eip",
    "aws_eip_association",
    "aws_vpc_dhcp_options",
    "aws_vpc_dhcp_options_association",
    "aws_network_interface",
    "aws_ebs_volume",
    "aws_volume_attachment",
    "aws_ebs_snapshot",
    "aws_ami",
    "aws_ebs_snapshot",  # the image's root snapshot, which CreateImage makes
    "aws_key_pair",
    "aws_launch_template",
    "aws_customer_gateway",
    "aws_placement_group",
    "aws_vpn_gateway",
    "aws_vpn_gateway_attachment",
    "aws_flow_log",
    "aws_vpc_endpoint",
    "aws_vpc_peering_connection",  # to the region's previous VPC (none for the first)
]

# One IAM unit: a role with an inline policy, an attached customer policy and its instance
# profile; a group with an inline policy and the customer policy attached; a user in that
# group with an inline policy, the policy attached, an access key, a console login profile and
# an SSH key. (`aws_iam_group_membership` and `aws_iam_policy_attachment` are other views of
# the same memberships and attachments; they are not counted again.)
IAM_UNIT = [
    "aws_iam_role",
    "aws_iam_role_policy",
    "aws_iam_role_policy_attachment",
    "aws_iam_instance_profile",
    "aws_iam_policy",
    "aws_iam_group",
    "aws_iam_group_policy",
    "aws_iam_group_policy_attachment",
    "aws_iam_user",
    "aws_iam_user_policy",
    "aws_iam_user_policy_attachment",
    "aws_iam_user_group_membership",
    "aws_iam_access_key",
    "aws_iam_user_login_profile",
    "aws_iam_user_ssh_key",
]
# Per account, besides the units: one OIDC and one SAML provider per IAM_PER_PROVIDER IAM
# units (AWS allows 100 of each), SERVICE_LINKED service-linked roles (AWS's own: observed,
# never unmanaged), the account alias and the password policy; per region, EBS encryption by
# default turned on.
IAM_PER_PROVIDER = 10
SERVICE_LINKED = [
    "autoscaling.amazonaws.com",
    "elasticloadbalancing.amazonaws.com",
    "rds.amazonaws.com",
]

# Not made, and why: `aws_placement_group` is not a supported type (and moto does not
# implement CreatePlacementGroup); the `aws_default_*` types and `aws_main_route_table_association`
# are AWS's own objects, which every VPC (and moto's default VPC per region) already has.

SG_RULE = [
    {
        "IpProtocol": "tcp",
        "FromPort": 443,
        "ToPort": 443,
        "IpRanges": [{"CidrIp": "10.0.0.0/8"}],
    }
]

# A public key for the users' SSH keys (IAM stores the body and fingerprints it; a fresh
# ed25519 key, its private half thrown away).
SSH_PUBLIC_KEY = (
    "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIGG9BR71zUlsfjtmSqH60euAZYbW6WNXLR8rbLP6NcW7 bench"
)


def fill_ec2_unit(ec2, region, u, ami, previous_vpc):
    """One EC2_UNIT in `region`, numbered `u`; peers its VPC with `previous_vpc` (if any).
    Returns the VPC's id and how many objects were made."""
    made = len(EC2_UNIT) - (0 if previous_vpc else 1)
    net = f"10.{u % 250}"
    vpc = ec2.create_vpc(CidrBlock=f"{net}.0.0/16")["Vpc"]["VpcId"]
    ec2.associate_vpc_cidr_block(VpcId=vpc, CidrBlock=f"100.64.{u % 250}.0/24")
    subnets = [
        ec2.create_subnet(VpcId=vpc, CidrBlock=f"{net}.{s}.0/24")["Subnet"]["SubnetId"]
        for s in range(2)
    ]
    for g in range(4):
        sg = ec2.create_security_group(
            GroupName=f"bench-{u}-{g}", Description="bench", VpcId=vpc
        )["GroupId"]
        ec2.authorize_security_group_ingress(GroupId=sg, IpPermissions=SG_RULE)
    instance = ec2.run_instances(
        ImageId=ami, MinCount=1, MaxCount=1, InstanceType="t3.micro", SubnetId=subnets[0]
    )["Instances"][0]["InstanceId"]
    igw = ec2.create_internet_gateway()["InternetGateway"]["InternetGatewayId"]
    ec2.attach_internet_gateway(InternetGatewayId=igw, VpcId=vpc)
    ec2.create_egress_only_internet_gateway(VpcId=vpc)
    rt = ec2.create_route_table(VpcId=vpc)["RouteTable"]["RouteTableId"]
    ec2.create_route(RouteTableId=rt, DestinationCidrBlock="0.0.0.0/0", GatewayId=igw)
    for sub in subnets:
        ec2.associate_route_table(RouteTableId=rt, SubnetId=sub)
    acl = ec2.create_network_acl(VpcId=vpc)["NetworkAcl"]["NetworkAclId"]
    ec2.create_network_acl_entry(
        NetworkAclId=acl,
        RuleNumber=100,
        Protocol="6",
        RuleAction="allow",
        Egress=False,
        CidrBlock="10.0.0.0/8",
        PortRange={"From": 443, "To": 443},
    )
    # Move both subnets from the VPC's default ACL to this one.
    default_acl = ec2.describe_network_acls(
        Filters=[{"Name": "vpc-id", "Values": [vpc]}, {"Name": "default", "Values": ["true"]}]
    )["NetworkAcls"][0]
    for assoc in default_acl.get("Associations", []):
        if assoc.get("SubnetId") in subnets:
            ec2.replace_network_acl_association(
                AssociationId=assoc["NetworkAclAssociationId"], NetworkAclId=acl
            )
    alloc = ec2.allocate_address(Domain="vpc")["AllocationId"]
    ec2.create_nat_gateway(SubnetId=subnets[0], AllocationId=alloc)
    alloc = ec2.allocate_address(Domain="vpc")["AllocationId"]
    ec2.associate_address(AllocationId=alloc, InstanceId=instance)
    dhcp = ec2.create_dhcp_options(
        DhcpConfigurations=[{"Key": "domain-name", "Values": [f"bench{u}.internal"]}]
    )["DhcpOptions"]["DhcpOptionsId"]
    ec2.associate_dhcp_options(DhcpOptionsId=dhcp, VpcId=vpc)
    ec2.create_network_interface(SubnetId=subnets[1])
    vol = ec2.create_volume(AvailabilityZone=f"{region}a", Size=8)["VolumeId"]
    ec2.attach_volume(VolumeId=vol, InstanceId=instance, Device="/dev/sdf")
    ec2.create_snapshot(VolumeId=vol)
    ec2.create_image(InstanceId=instance, Name=f"bench-{region}-{u}")
    ec2.create_key_pair(KeyName=f"bench-{region}-{u}")
    ec2.create_launch_template(
        LaunchTemplateName=f"bench-{u}",
        LaunchTemplateData={"ImageId": ami, "InstanceType": "t3.micro"},
    )
    ec2.create_customer_gateway(
        BgpAsn=65000, PublicIp=f"198.51.{u // 250 % 250}.{u % 250 + 1}", Type="ipsec.1"
    )
    ec2.create_placement_group(GroupName=f"bench-{region}-{u}", Strategy="spread")
    vgw = ec2.create_vpn_gateway(Type="ipsec.1")["VpnGateway"]["VpnGatewayId"]
    ec2.attach_vpn_gateway(VpcId=vpc, VpnGatewayId=vgw)
    ec2.create_flow_logs(
        ResourceIds=[vpc],
        ResourceType="VPC",
        TrafficType="ALL",
        LogDestinationType="cloud-watch-logs",
        LogGroupName=f"bench-flow-{u}",
        DeliverLogsPermissionArn="arn:aws:iam::123456789012:role/bench-flow-logs",
    )
    ec2.create_vpc_endpoint(
        VpcId=vpc,
        ServiceName=f"com.amazonaws.{region}.s3",
        VpcEndpointType="Gateway",
        RouteTableIds=[rt],
    )
    if previous_vpc:
        ec2.create_vpc_peering_connection(VpcId=vpc, PeerVpcId=previous_vpc)
    return vpc, made


def fill_iam_unit(iam, i, trust, doc):
    """One IAM_UNIT numbered `i`."""
    role = f"bench-role-{i}"
    iam.create_role(RoleName=role, AssumeRolePolicyDocument=trust)
    iam.put_role_policy(RoleName=role, PolicyName="inline", PolicyDocument=doc)
    iam.create_instance_profile(InstanceProfileName=role)
    iam.add_role_to_instance_profile(InstanceProfileName=role, RoleName=role)
    arn = iam.create_policy(PolicyName=f"bench-policy-{i}", PolicyDocument=doc)["Policy"]["Arn"]
    iam.attach_role_policy(RoleName=role, PolicyArn=arn)
    group = f"bench-group-{i}"
    iam.create_group(GroupName=group)
    iam.put_group_policy(GroupName=group, PolicyName="inline", PolicyDocument=doc)
    iam.attach_group_policy(GroupName=group, PolicyArn=arn)
    user = f"bench-user-{i}"
    iam.create_user(UserName=user)
    iam.put_user_policy(UserName=user, PolicyName="inline", PolicyDocument=doc)
    iam.attach_user_policy(UserName=user, PolicyArn=arn)
    iam.add_user_to_group(GroupName=group, UserName=user)
    iam.create_access_key(UserName=user)
    iam.create_login_profile(UserName=user, Password="Bench-password-1", PasswordResetRequired=True)
    iam.upload_ssh_public_key(UserName=user, SSHPublicKeyBody=SSH_PUBLIC_KEY)


def fill_iam_account(iam, units):
    """The account's own IAM objects (see IAM_PER_PROVIDER); returns how many the scan finds
    as unmanaged (the service-linked roles are AWS's)."""
    providers = min(100, max(1, units // IAM_PER_PROVIDER))
    for p in range(providers):
        iam.create_open_id_connect_provider(
            Url=f"https://oidc{p}.bench.example.com",
            ClientIDList=["sts.amazonaws.com"],
            ThumbprintList=["9e99a48a9960b14926bb7f3b02e22da2b0ab7280"],
        )
        iam.create_saml_provider(Name=f"bench-saml-{p}", SAMLMetadataDocument=SAML_METADATA)
    for service in SERVICE_LINKED:
        iam.create_service_linked_role(AWSServiceName=service)
    iam.create_account_alias(AccountAlias="bench-account")
    iam.update_account_password_policy(MinimumPasswordLength=14, RequireSymbols=True)
    return 2 * providers + 2


# An identity provider's metadata (IAM wants 1,000 characters at least): its signing
# certificate (self-signed, made for this bench, its key thrown away) and its sign-on endpoint.
SAML_CERTIFICATE = (
    "MIIBljCCATugAwIBAgIUTDYC7LQwaaCR3qOhAtLA0M3KygUwCgYIKoZIzj0EAwIwIDEeMBwG"
    "A1UEAwwVaWRwLmJlbmNoLmV4YW1wbGUuY29tMB4XDTI2MTIwNzIxMzQwMloXDTM2MTIwNDIx"
    "MzQwMlowIDEeMBwGA1UEAwwVaWRwLmJlbmNoLmV4YW1wbGUuY29tMFkwEwYHKoZIzj0CAQYI"
    "KoZIzj0DAQcDQgAESlY+X/h8T34/q6elLmMnyGIDSzbe574kKEpzJouGPac0RpQDRrseiM24"
    "fQygKNcOmfwVavKWLNNdmzvpeXFLEKNTMFEwHQYDVR0OBBYEFHVzy9IP6mVIyJGwSSh7e2xX"
    "a38wMB8GA1UdIwQYMBaAFHVzy9IP6mVIyJGwSSh7e2xXa38wMA8GA1UdEwEB/wQFMAMBAf8w"
    "CgYIKoZIzj0EAwIDSQAwRgIhAJi2vRI6QO/Ib65mSYfJu6dq6/IwHsbyeIra/4W0ngrEAiEA"
    "lTTSVdvnQiYWG6fMblngGpQ/HowGTZyZt9TNTmY54Jc="
)
SAML_METADATA = (
    '<?xml version="1.0" encoding="UTF-8"?>'
    '<md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata"'
    ' xmlns:ds="http://www.w3.org/2000/09/xmldsig#" entityID="https://idp.bench.example.com/saml">'
    '<md:IDPSSODescriptor WantAuthnRequestsSigned="false"'
    ' protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol">'
    '<md:KeyDescriptor use="signing"><ds:KeyInfo><ds:X509Data><ds:X509Certificate>'
    + SAML_CERTIFICATE
    + "</ds:X509Certificate></ds:X509Data></ds:KeyInfo></md:KeyDescriptor>"
    "<md:NameIDFormat>urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress</md:NameIDFormat>"
    '<md:SingleSignOnService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect"'
    ' Location="https://idp.bench.example.com/saml/sso"/>'
    "</md:IDPSSODescriptor></md:EntityDescriptor>"
)


def fill(url, n):
    """About n resources of every type: 80% EC2 units spread over the regions, 20% IAM units
    and the account's own IAM objects. Returns the count made (objects the scan must find as
    unmanaged)."""
    made = 0
    per_region = int(n * 0.8) // len(REGIONS)
    for region in REGIONS:
        ec2 = clients(url, "ec2", region)
        ec2.enable_ebs_encryption_by_default()
        made += 1
        previous = None
        for u in range(max(1, per_region // len(EC2_UNIT))):
            previous, count = fill_ec2_unit(ec2, region, u, AMI, previous)
            made += count
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
    units = max(1, (n - made) // len(IAM_UNIT))
    for i in range(units):
        fill_iam_unit(iam, i, trust, doc)
        made += len(IAM_UNIT)
    made += fill_iam_account(iam, units)
    return made


# The batched listings a scan of these types needs, per region: (operation, result key,
# extra parameters). Every one pages with MaxResults/NextToken.
MOTO_PLUS = os.path.join(
    os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "tests", "support", "moto_plus.py"
)
EC2_LISTINGS = [
    ("describe_vpcs", "Vpcs", {}),
    ("describe_subnets", "Subnets", {}),
    ("describe_security_groups", "SecurityGroups", {}),
    ("describe_security_group_rules", "SecurityGroupRules", {}),
    ("describe_instances", "Reservations", {}),
    ("describe_internet_gateways", "InternetGateways", {}),
    ("describe_egress_only_internet_gateways", "EgressOnlyInternetGateways", {}),
    ("describe_route_tables", "RouteTables", {}),
    ("describe_network_acls", "NetworkAcls", {}),
    ("describe_nat_gateways", "NatGateways", {}),
    ("describe_dhcp_options", "DhcpOptions", {}),
    ("describe_network_interfaces", "NetworkInterfaces", {}),
    ("describe_volumes", "Volumes", {}),
    ("describe_snapshots", "Snapshots", {"OwnerIds": ["self"]}),
    ("describe_images", "Images", {"Owners": ["self"]}),
    ("describe_launch_templates", "LaunchTemplates", {}),
    ("describe_flow_logs", "FlowLogs", {}),
    ("describe_vpc_endpoints", "VpcEndpoints", {}),
    ("describe_vpc_peering_connections", "VpcPeeringConnections", {}),
]
# Listings without pagination (one call returns everything), and the region's one setting.
EC2_SINGLE = [
    ("describe_addresses", {}),
    ("describe_key_pairs", {}),
    ("describe_customer_gateways", {}),
    ("describe_vpn_gateways", {}),
    ("describe_placement_groups", {}),
    ("get_ebs_encryption_by_default", {}),
]
# IAM, once per account: the paged listings, then the unpaged ones and the account's settings.
IAM_LISTINGS = ["get_account_authorization_details", "list_roles", "list_instance_profiles"]
IAM_SINGLE = [
    "list_open_id_connect_providers",
    "list_saml_providers",
    "list_account_aliases",
    "get_account_password_policy",
]


def floor(url):
    """One sequential client paging through the batched listings, plus the per-user reads no
    batch API covers (an access key's id and status, whether a login profile exists, a user's
    SSH keys); returns (seconds, calls per operation)."""
    started = time.monotonic()
    calls = {}

    def count(client, op):
        # Named as driftgate's report names its calls: `service:Operation`.
        name = f"{client.meta.service_model.endpoint_prefix}:{client.meta.method_to_api_mapping[op]}"
        calls[name] = calls.get(name, 0) + 1

    for region in REGIONS:
        ec2 = clients(url, "ec2", region)
        for op, key, extra in EC2_LISTINGS:
            token = None
            while True:
                kw = {"MaxResults": 1000, **extra}
                if token:
                    kw["NextToken"] = token
                page = getattr(ec2, op)(**kw)
                count(ec2, op)
                token = page.get("NextToken")
                if not token:
                    break
        for op, extra in EC2_SINGLE:
            getattr(ec2, op)(**extra)
            count(ec2, op)
    iam = clients(url, "iam", REGIONS[0])
    users = []
    for op in IAM_LISTINGS:
        marker = None
        while True:
            kw = {"MaxItems": 1000}
            if marker:
                kw["Marker"] = marker
            page = getattr(iam, op)(**kw)
            count(iam, op)
            users += [u["UserName"] for u in page.get("UserDetailList", [])]
            marker = page.get("Marker") if page.get("IsTruncated") else None
            if not marker:
                break
    for op in IAM_SINGLE:
        try:
            getattr(iam, op)()
        except iam.exceptions.NoSuchEntityException:
            pass
        count(iam, op)
    for user in users:
        iam.list_access_keys(UserName=user)
        count(iam, "list_access_keys")
        try:
            iam.get_login_profile(UserName=user)
        except iam.exceptions.NoSuchEntityException:
            pass
        count(iam, "get_login_profile")
        iam.list_ssh_public_keys(UserName=user)
        count(iam, "list_ssh_public_keys")
    return time.monotonic() - started, calls


def driftgate_scan(binary, url, state, workdir):
    """Returns (seconds, api calls per operation, peak RSS in MB, findings, objects observed)."""
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
    calls = report.get("api_calls", {})
    return wall, calls, rss_mb, len(report["findings"]), report["summary"]["observed"]


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
            load_before = os.getloadavg()[0]
            for _ in range(args.repeat):
                floors.append(floor(url))
                scans.append(driftgate_scan(binary, url, state, workdir))
            row = {
                "resources": made,
                "fill_s": round(fill_s, 1),
                "floor_s": statistics.median(f[0] for f in floors),
                "floor_calls": sum(floors[0][1].values()),
                "scan_s": statistics.median(s[0] for s in scans),
                "scan_calls": sum(scans[0][1].values()),
                # Operations whose count differs between the scan and the floor.
                "calls_differ": {
                    op: [scans[0][1].get(op, 0), floors[0][1].get(op, 0)]
                    for op in sorted(set(scans[0][1]) | set(floors[0][1]))
                    if scans[0][1].get(op, 0) != floors[0][1].get(op, 0)
                },
                "floor_runs_s": [round(f[0], 2) for f in floors],
                "scan_runs_s": [round(s[0], 2) for s in scans],
                "ratio_runs": [round(s[0] / f[0], 2) for s, f in zip(scans, floors)],
                "rss_runs_mb": [round(s[2]) for s in scans],
                # The machine's 1-minute load average before and after the timed runs.
                "load": [round(load_before, 1), round(os.getloadavg()[0], 1)],
                "peak_rss_mb": max(s[2] for s in scans),
                "rss_median_mb": statistics.median(s[2] for s in scans),
                "findings": scans[0][3],
                "observed": scans[0][4],
            }
            row["ratio"] = row["scan_s"] / row["floor_s"] if row["floor_s"] else None
            rows.append(row)
            print(json.dumps(row), file=sys.stderr, flush=True)
        finally:
            os.killpg(proc.pid, signal.SIGTERM)
            proc.wait()
            shutil.rmtree(workdir, ignore_errors=True)
    print(
        "| resources | floor (s) | driftgate scan (s) | ratio | calls (scan / floor) | peak RSS (MB) | findings | observed |"
    )
    print("|---|---|---|---|---|---|---|---|")
    for r in rows:
        print(
            f"| {r['resources']} | {r['floor_s']:.2f} | {r['scan_s']:.2f} | {r['ratio']:.2f}x "
            f"| {r['scan_calls']} / {r['floor_calls']} | {r['peak_rss_mb']:.0f} | {r['findings']} "
            f"| {r['observed']} |"
        )
    if args.json:
        with open(args.json, "w") as f:
            json.dump(rows, f, indent=2)


if __name__ == "__main__":
    main()
