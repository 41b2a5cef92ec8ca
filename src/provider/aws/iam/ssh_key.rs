//! `aws_iam_user_ssh_key`: `ListSSHPublicKeys` per user of the shared sweep (no batch API lists
//! every user's keys; a key uploaded outside terraform is what this type is watched for), then
//! `GetSSHPublicKey` for the key's fingerprint, one paced read per key a state records
//! (`read = "recorded"`): a key's body never changes under its id, so the fingerprint only
//! confirms it. The body itself is public but not compared (the provider normalizes its text);
//! the fingerprint is, as the provider records it.

use crate::model::plan::{RevertInput, UnitCall, UnitRevert};
use aws_sdk_iam::types::{EncodingType, SshPublicKeyMetadata};

use super::{Cx, Entities, Found, Listed, PAGE, Sample, Unit, global};
use crate::model::{Attributes, Owner};
use crate::provider::aws::calls::{Failure, failure_reason};
use aws_sdk_iam::Client;

pub const SSH_KEY: &str = "aws_iam_user_ssh_key";
const TYPES: &[&str] = &[SSH_KEY];

pub const UNIT: Unit = Unit::new("ssh keys", TYPES, list, samples)
    .needs(&[Entities::Users])
    .calls(REVERTS, &["UpdateSSHPublicKey"], execute);

/// The user deleted since the sweep, or the key since the listing: gone, not a failure.
fn gone<E: aws_sdk_iam::error::ProvideErrorMetadata>(e: &E) -> bool {
    e.code() == Some("NoSuchEntity")
}

fn list(cx: &Cx) -> Listed<'_> {
    Box::pin(async move {
        let details = match cx.details_or_gap(TYPES).await {
            Ok(d) => d,
            Err(found) => return found,
        };
        let users: Vec<String> = details
            .users
            .iter()
            .filter_map(|u| u.user_name())
            .map(str::to_string)
            .collect();
        let keys = cx
            .each(UNIT.label, users.clone(), |client, user| async move {
                let mut pages = client
                    .list_ssh_public_keys()
                    .user_name(&user)
                    .max_items(PAGE)
                    .into_paginator()
                    .send();
                let mut keys = Vec::new();
                while let Some(page) = pages.next().await {
                    match page {
                        Ok(page) => keys.extend(page.ssh_public_keys.unwrap_or_default()),
                        Err(e) if e.as_service_error().is_some_and(gone) => {
                            return Ok(Vec::new());
                        }
                        Err(e) => return Err(failure_reason(&e)),
                    }
                }
                Ok(keys)
            })
            .await;
        let mut found = Found::default();
        let mut listed: Vec<SshPublicKeyMetadata> = Vec::new();
        for user in &users {
            match keys.get(user) {
                Some(Ok(keys)) => listed.extend(keys.iter().cloned()),
                answer => found.gaps.push(Cx::read_gap(
                    "ListSSHPublicKeys",
                    TYPES,
                    answer,
                    format!("user {user}"),
                )),
            }
        }
        // The fingerprints of the keys whose per-object attributes are read, keyed
        // `USER:KEY_ID` (GetSSHPublicKey needs both).
        let read: Vec<String> = listed
            .iter()
            .filter(|k| cx.reads(SSH_KEY, k.ssh_public_key_id()))
            .map(|k| format!("{}:{}", k.user_name(), k.ssh_public_key_id()))
            .collect();
        let fingerprints = cx.each(UNIT.label, read, read_key).await;
        for key in &listed {
            let id = key.ssh_public_key_id();
            if !cx.reads(SSH_KEY, id) {
                found
                    .resources
                    .push(global(SSH_KEY, id, Owner::User, attributes(key, None)));
                continue;
            }
            let at = format!("{}:{id}", key.user_name());
            match fingerprints.get(&at) {
                Some(Ok(Some((fingerprint, body)))) => found.resources.push(global(
                    SSH_KEY,
                    id,
                    Owner::User,
                    attributes(key, Some((fingerprint.as_str(), body.as_str()))),
                )),
                Some(Ok(None)) => {}
                answer => found.gaps.push(Cx::read_gap(
                    "GetSSHPublicKey",
                    TYPES,
                    answer,
                    format!("SSH public key {id} of user {}", key.user_name()),
                )),
            }
        }
        found
    })
}

/// GetSSHPublicKey of `USER:KEY_ID`: its fingerprint and body; `None` when it is gone.
async fn read_key(client: Client, key: String) -> Result<Option<(String, String)>, Failure> {
    let (user, id) = key.split_once(':').unwrap_or_default();
    match client
        .get_ssh_public_key()
        .user_name(user)
        .ssh_public_key_id(id)
        .encoding(EncodingType::Ssh)
        .send()
        .await
    {
        Ok(out) => Ok(out.ssh_public_key().map(|k| {
            (
                k.fingerprint().to_string(),
                k.ssh_public_key_body().to_string(),
            )
        })),
        Err(e) if e.as_service_error().is_some_and(gone) => Ok(None),
        Err(e) => Err(failure_reason(&e)),
    }
}

/// An `aws_iam_user_ssh_key`. `read`: the fingerprint and the body GetSSHPublicKey returned;
/// `None`: not read, both absent, never guessed. The body is for imports only (`import_only`
/// in the spec: the provider requires it), never compared.
pub fn attributes(key: &SshPublicKeyMetadata, read: Option<(&str, &str)>) -> Attributes {
    let mut a = Attributes::new();
    a.insert("id".into(), key.ssh_public_key_id().into());
    a.insert("ssh_public_key_id".into(), key.ssh_public_key_id().into());
    a.insert("username".into(), key.user_name().into());
    a.insert("status".into(), key.status().as_str().into());
    if let Some((fingerprint, body)) = read {
        a.insert("fingerprint".into(), fingerprint.into());
        a.insert("public_key".into(), body.trim().into());
    }
    a
}

fn samples() -> Vec<Sample> {
    use aws_sdk_iam::primitives::DateTime;
    use aws_sdk_iam::types::StatusType;
    let key = SshPublicKeyMetadata::builder()
        .user_name("alice")
        .ssh_public_key_id("APKA1")
        .status(StatusType::Active)
        .upload_date(DateTime::from_secs(1_800_000_000))
        .build()
        .unwrap();
    vec![Sample {
        resource: global(
            SSH_KEY,
            "APKA1",
            Owner::User,
            attributes(
                &key,
                Some((
                    "c4:7a:11:9e:54:0d:2f:6b:a3:08:91:ee:33:5c:70:12",
                    "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIMfAsp0H7uXj0jHKCJy2QFvMO2pX8w0J8wXW4B7bNnzH alice",
                )),
            ),
        ),
        // The provider's documented import id: `USERNAME:SSH_PUBLIC_KEY_ID:ENCODING`.
        import_id: "alice:APKA1:SSH".into(),
    }]
}

// ---- reverts ---------------------------------------------------------------------------------

const REVERTS: &[UnitRevert] = &[UnitRevert::new("ssh_key_status", &[SSH_KEY], plan_status)];

fn plan_status(input: &RevertInput<'_>) -> Result<Vec<UnitCall>, String> {
    super::key_status(
        input,
        "UpdateSSHPublicKey",
        ("ssh_public_key_id", "username"),
    )
}

iam_calls! {
    "UpdateSSHPublicKey" => update_ssh_public_key(ssh_public_key_id; user_name, status: aws_sdk_iam::types::StatusType),
}

#[cfg(test)]
mod tests {
    use super::*;
    #[test]
    fn the_fingerprint_only_when_read() {
        let key = &samples()[0].resource.attributes;
        assert_eq!(key["status"], "Active".into());
        assert!(key.contains_key("fingerprint"));
        let unread = attributes(
            &SshPublicKeyMetadata::builder()
                .user_name("alice")
                .ssh_public_key_id("APKA1")
                .status(aws_sdk_iam::types::StatusType::Inactive)
                .upload_date(aws_sdk_iam::primitives::DateTime::from_secs(0))
                .build()
                .unwrap(),
            None,
        );
        assert!(!unread.contains_key("fingerprint"), "absent, not guessed");
        assert_eq!(unread["username"], "alice".into());
    }
}
