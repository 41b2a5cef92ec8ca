"""moto's server with the EC2 placement-group actions and the filters it lacks, for driftgate's
live tests.

Fills moto's gap: moto 5.2.x (5.2.1 here, 5.2.6 too) answers CreatePlacementGroup,
DescribePlacementGroups and DeletePlacementGroup with HTTP 500 "has not been implemented".
driftgate itself is written to the AWS API reference (EC2 API Reference: CreatePlacementGroup,
DescribePlacementGroups, DeletePlacementGroup, PlacementGroup); this file only teaches the test
emulator those three actions, shaped as that reference documents them, so terraform can create,
read and destroy an `aws_placement_group` and driftgate can list it.

It also teaches moto four filters the EC2 API reference documents and moto 5.2.x answers with
HTTP 500 ("filter not implemented"): DescribeNetworkAcls `network-acl-id`, DescribeRouteTables
`association.gateway-id`, DescribeVpcEndpoints `vpc-endpoint-id` and DescribeImages
`block-device-mapping.snapshot-id`. driftgate reads by them as AWS documents them (named
objects under `only`, the images backing snapshots); without them those reads fail here.

Run exactly as `moto_server`: `python3 moto_plus.py -H 127.0.0.1 -p PORT` (moto.server.main).
"""

import sys

from moto.core.responses import ActionResult, EmptyResult
from moto.ec2 import utils as ec2_utils
from moto.ec2.exceptions import EC2ClientError
from moto.ec2.models.amis import Ami
from moto.ec2.models.network_acls import NetworkAcl
from moto.ec2.models.route_tables import RouteTable
from moto.ec2.models.vpcs import VPCEndPoint
from moto.ec2.responses import EC2Response
from moto.ec2.utils import random_id

PREFIX = "pg"
STRATEGIES = ("cluster", "spread", "partition")

# `pg-...` is a taggable EC2 id (CreateTags/DeleteTags validate ids by prefix).
ec2_utils.EC2_RESOURCE_TO_PREFIX.setdefault("placement-group", PREFIX)
ec2_utils.EC2_PREFIX_TO_RESOURCE.setdefault(PREFIX, "placement-group")


def _store(backend):
    """The groups of one account and region, by name. Kept on moto's EC2 backend, so
    `/moto-api/reset` (which re-initialises the backend) forgets them too."""
    groups = backend.__dict__.get("_driftgate_placement_groups")
    if groups is None:
        groups = {}
        backend.__dict__["_driftgate_placement_groups"] = groups
    return groups


def _unknown(name):
    return EC2ClientError(
        "InvalidPlacementGroup.Unknown", f"The Placement Group '{name}' is unknown."
    )


def _shape(self, group):
    """A `PlacementGroup` as DescribePlacementGroups returns it (tags from moto's tag store,
    so CreateTags/DeleteTags on the `pg-` id show up here)."""
    out = {
        "GroupName": group["GroupName"],
        "GroupId": group["GroupId"],
        "GroupArn": group["GroupArn"],
        "Strategy": group["Strategy"],
        "State": "available",
        "Tags": [
            {"Key": k, "Value": v}
            for k, v in sorted(self.ec2_backend.tags.get(group["GroupId"], {}).items())
        ],
    }
    if "PartitionCount" in group:
        out["PartitionCount"] = group["PartitionCount"]
    if "SpreadLevel" in group:
        out["SpreadLevel"] = group["SpreadLevel"]
    return out


def create_placement_group(self):
    name = self._get_param("GroupName")
    strategy = self._get_param("Strategy")
    if not name:
        raise EC2ClientError("MissingParameter", "The request must contain the parameter groupName")
    if strategy not in STRATEGIES:
        raise EC2ClientError(
            "InvalidParameterValue", f"Value ({strategy}) for parameter strategy is invalid."
        )
    partition_count = self._get_param("PartitionCount")
    spread_level = self._get_param("SpreadLevel")
    if partition_count is not None and strategy != "partition":
        raise EC2ClientError(
            "InvalidParameterCombination",
            "PartitionCount can only be specified with the partition strategy.",
        )
    if spread_level is not None and strategy != "spread":
        raise EC2ClientError(
            "InvalidParameterCombination",
            "SpreadLevel can only be specified with the spread strategy.",
        )
    tags = self._parse_tag_specification().get("placement-group", {})
    self.error_on_dryrun()

    groups = _store(self.ec2_backend)
    if name in groups:
        raise EC2ClientError(
            "InvalidPlacementGroup.Duplicate", f"The Placement Group '{name}' already exists."
        )
    group_id = random_id(prefix=PREFIX)
    group = {
        "GroupName": name,
        "GroupId": group_id,
        "GroupArn": f"arn:aws:ec2:{self.region}:{self.current_account}:placement-group/{name}",
        "Strategy": strategy,
    }
    # AWS's defaults: two partitions, spread across racks.
    if strategy == "partition":
        group["PartitionCount"] = int(partition_count) if partition_count is not None else 2
    if strategy == "spread":
        group["SpreadLevel"] = spread_level or "rack"
    groups[name] = group
    if tags:
        self.ec2_backend.create_tags([group_id], tags)
    return ActionResult({"PlacementGroup": _shape(self, group)})


def _matches(self, group, filters):
    shaped = _shape(self, group)
    tags = {t["Key"]: t["Value"] for t in shaped["Tags"]}
    for name, values in filters.items():
        if name == "group-name":
            have = [group["GroupName"]]
        elif name == "group-arn":
            have = [group["GroupArn"]]
        elif name == "state":
            have = ["available"]
        elif name == "strategy":
            have = [group["Strategy"]]
        elif name == "spread-level":
            have = [group.get("SpreadLevel", "")]
        elif name == "tag-key":
            have = list(tags)
        elif name.startswith("tag:"):
            key = name[len("tag:") :]
            have = [tags[key]] if key in tags else []
        else:
            raise EC2ClientError(
                "InvalidParameterValue", f"The filter '{name}' is invalid."
            )
        if not set(have) & set(values):
            return False
    return True


def describe_placement_groups(self):
    names = self._get_param("GroupNames", [])
    ids = self._get_param("GroupIds", [])
    filters = self._filters_from_querystring()
    self.error_on_dryrun()

    groups = _store(self.ec2_backend)
    for name in names:
        if name not in groups:
            raise _unknown(name)
    known_ids = {g["GroupId"] for g in groups.values()}
    for group_id in ids:
        if group_id not in known_ids:
            raise EC2ClientError(
                "InvalidPlacementGroupId.NotFound",
                f"The placement group ID '{group_id}' does not exist",
            )
    chosen = [
        g
        for _, g in sorted(groups.items())
        if (not names or g["GroupName"] in names)
        and (not ids or g["GroupId"] in ids)
        and _matches(self, g, filters)
    ]
    return ActionResult({"PlacementGroups": [_shape(self, g) for g in chosen]})


def delete_placement_group(self):
    name = self._get_param("GroupName")
    self.error_on_dryrun()
    groups = _store(self.ec2_backend)
    if name not in groups:
        raise _unknown(name)
    group = groups.pop(name)
    self.ec2_backend.tags.pop(group["GroupId"], None)
    return EmptyResult()


def _with_filters(cls, extra):
    """`cls.get_filter_value` answering the filters of `extra` (name -> value of an object)."""
    base = cls.get_filter_value

    def get_filter_value(self, filter_name, method_name=None):
        if filter_name in extra:
            return extra[filter_name](self)
        return base(self, filter_name, method_name)

    cls.get_filter_value = get_filter_value


_with_filters(NetworkAcl, {"network-acl-id": lambda acl: acl.id})
_with_filters(VPCEndPoint, {"vpc-endpoint-id": lambda endpoint: endpoint.id})
_with_filters(
    Ami,
    {
        "block-device-mapping.snapshot-id": lambda image: [
            m["Ebs"]["SnapshotId"]
            for m in image.block_device_mappings
            if m.get("Ebs", {}).get("SnapshotId")
        ]
    },
)
# moto keeps each table's subnet and gateway associations in one map (id -> target id).
_with_filters(
    RouteTable,
    {
        "association.gateway-id": lambda table: [
            target
            for target in table._associations.values()
            if not target.startswith("subnet-")
        ]
    },
)

EC2Response.create_placement_group = create_placement_group
EC2Response.describe_placement_groups = describe_placement_groups
EC2Response.delete_placement_group = delete_placement_group


if __name__ == "__main__":
    from moto.server import main

    main(sys.argv[1:])
