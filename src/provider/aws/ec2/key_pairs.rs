//! `aws_key_pair`: DescribeKeyPairs. The provider never reads the public key material back
//! (`public_key` is kept from the configuration; it reads the fingerprint, id, type and tags):
//! what is compared is what it reads. The material itself is asked for (`IncludePublicKey`)
//! and kept for imports, which write it (never compared). A key pair deleted and re-imported
//! under the same name with other material shows as a changed `key_pair_id` and `fingerprint`.

use aws_sdk_ec2::types::KeyPairInfo;

use super::{Cx, Found, Sample, Unit, arn, tag_map};
use crate::model::{Attributes, Owner};

const TYPE: &str = "aws_key_pair";
const TYPES: &[&str] = &[TYPE];

pub const UNIT: Unit = Unit::new("key pairs", TYPES, list, samples);

fn list(cx: &Cx) -> super::Listed<'_> {
    Box::pin(async move {
        // DescribeKeyPairs is not paginated: one call returns every key pair of the region, or
        // (one call per batch of ids) the asked ones.
        let mut keys = Vec::new();
        for filter in super::id_filters(cx.asked(TYPES).as_ref(), "key-pair-id") {
            match cx
                .client
                .describe_key_pairs()
                .include_public_key(true)
                .set_filters(filter.map(|f| vec![f]))
                .send()
                .await
            {
                Ok(out) => keys.extend(out.key_pairs.unwrap_or_default()),
                Err(e) => {
                    return Found::gap(crate::provider::aws::calls::gap(
                        "ec2",
                        Some(&cx.region),
                        "DescribeKeyPairs",
                        TYPES,
                        crate::provider::aws::calls::failure_reason(&e),
                    ));
                }
            }
        }
        cx.views(TYPE, &keys, KeyPairInfo::key_pair_id, |k| {
            attributes(k, &cx.region)
        })
    })
}

/// An `aws_key_pair` as the provider records it (`id` is the key name).
pub fn attributes(key: &KeyPairInfo, region: &str) -> Attributes {
    let name = key.key_name().unwrap_or_default();
    let mut a = Attributes::new();
    a.insert("id".into(), name.into());
    a.insert("key_name".into(), name.into());
    a.insert(
        "arn".into(),
        arn(region, None, &format!("key-pair/{name}")).into(),
    );
    a.insert("key_pair_id".into(), key.key_pair_id().into());
    a.insert("fingerprint".into(), key.key_fingerprint().into());
    a.insert("key_type".into(), key.key_type().map(|t| t.as_str()).into());
    a.insert("tags".into(), tag_map(key.tags()));
    // For imports only (`import_only` in the spec): the provider requires it.
    if let Some(material) = key.public_key().filter(|m| !m.is_empty()) {
        a.insert("public_key".into(), material.trim().into());
    }
    a
}

fn samples() -> Vec<Sample> {
    use aws_sdk_ec2::types::{KeyType, Tag};
    let region = "us-east-1";
    let key = KeyPairInfo::builder()
        .key_name("deploy")
        .key_pair_id("key-1")
        .key_fingerprint("1f:51:ae:28:bf:89:e9:d8:1f:25:5d:37:2d:7d:b8:ca:9f:f5:f1:6f")
        .key_type(KeyType::Ed25519)
        .public_key("ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIMfAsp0H7uXj0jHKCJy2QFvMO2pX8w0J8wXW4B7bNnzH deploy")
        .tags(Tag::builder().key("team").value("core").build())
        .build();
    vec![Sample {
        resource: super::view(
            TYPE,
            "key-1",
            true,
            region,
            Owner::User,
            attributes(&key, region),
        ),
        import_id: "deploy".into(),
    }]
}
