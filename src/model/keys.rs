//! Approvers' Ed25519 keys: the public key the policy and the trust root list
//! (`ed25519:<base64>`), and the private key file `driftgate keygen` writes. What a key signs
//! (an approval, a denial, a trust root, an audit checkpoint) each feature says with its own
//! domain; the key itself is core data every one of them shares.

use std::collections::BTreeMap;
use std::fmt;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use ed25519_dalek::{Signature, Signer as _, SigningKey, VerifyingKey};
use sha2::{Digest, Sha256};

/// The first line of a private key file.
const KEY_FILE_HEADER: &str = "driftgate-ed25519-private-key-v1";
const PUBLIC_PREFIX: &str = "ed25519:";

/// An approver's public key, written `ed25519:<base64 of the 32 bytes>` in the policy.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct PublicKey([u8; 32]);

impl fmt::Debug for PublicKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "PublicKey({self})")
    }
}

impl fmt::Display for PublicKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{PUBLIC_PREFIX}{}", STANDARD.encode(self.0))
    }
}

impl std::str::FromStr for PublicKey {
    type Err = String;

    fn from_str(s: &str) -> Result<PublicKey, String> {
        let b64 = s
            .strip_prefix(PUBLIC_PREFIX)
            .ok_or_else(|| "a public key is written `ed25519:<base64>`".to_string())?;
        let bytes = STANDARD
            .decode(b64.trim())
            .map_err(|e| format!("not base64: {e}"))?;
        let bytes: [u8; 32] = bytes
            .try_into()
            .map_err(|b: Vec<u8>| format!("{} bytes, an Ed25519 key has 32", b.len()))?;
        VerifyingKey::from_bytes(&bytes).map_err(|_| "not an Ed25519 public key".to_string())?;
        Ok(PublicKey(bytes))
    }
}

impl PublicKey {
    /// `SHA256:<base64 without padding>` of the key's 32 bytes (the form `ssh-keygen -l`
    /// prints): what the audit log records to name a key without holding it.
    pub fn fingerprint(&self) -> String {
        format!("SHA256:{}", STANDARD.encode(Sha256::digest(self.0)))
            .trim_end_matches('=')
            .to_string()
    }

    fn verifying(&self) -> Option<VerifyingKey> {
        VerifyingKey::from_bytes(&self.0).ok()
    }

    /// Whether `signature` is this key's (strict Ed25519) over `domain` followed by `bytes`.
    pub fn verifies(&self, domain: &[u8], bytes: &[u8], signature: &[u8; 64]) -> bool {
        let mut m = domain.to_vec();
        m.extend_from_slice(bytes);
        self.verifying().is_some_and(|k| {
            k.verify_strict(&m, &Signature::from_bytes(signature))
                .is_ok()
        })
    }
}

/// Whether `name` can be an approver's name: letters, digits, `_` and `-`, starting with a
/// letter (so it is an HCL identifier the policy can write unquoted).
pub fn valid_name(name: &str) -> bool {
    let mut chars = name.chars();
    chars.next().is_some_and(|c| c.is_ascii_alphabetic())
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
        && name.len() <= 64
}

/// A private key file: the approver's name and the Ed25519 seed. Never printed; `Debug`
/// shows the name and the public key only.
pub struct KeyFile {
    pub name: String,
    key: SigningKey,
}

impl fmt::Debug for KeyFile {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("KeyFile")
            .field("name", &self.name)
            .field("public", &self.public())
            .finish_non_exhaustive()
    }
}

impl KeyFile {
    /// A key from 32 random bytes (the caller draws them from the OS).
    pub fn from_seed(name: &str, seed: [u8; 32]) -> KeyFile {
        KeyFile {
            name: name.to_string(),
            key: SigningKey::from_bytes(&seed),
        }
    }

    pub fn public(&self) -> PublicKey {
        PublicKey(self.key.verifying_key().to_bytes())
    }

    /// The line for the policy's `approvers`: `alice = "ed25519:..."`.
    pub fn policy_line(&self) -> String {
        format!("{} = \"{}\"", self.name, self.public())
    }

    /// The file's text.
    pub fn encode(&self) -> String {
        format!(
            "{KEY_FILE_HEADER}\n# An Ed25519 private key for `driftgate approve`. Keep it secret (mode 0600).\nname = {}\nseed = {}\n",
            self.name,
            STANDARD.encode(self.key.to_bytes())
        )
    }

    /// Parses a key file's text.
    pub fn decode(text: &str) -> Result<KeyFile, String> {
        let mut lines = text.lines().map(str::trim).filter(|l| !l.is_empty());
        if lines.next() != Some(KEY_FILE_HEADER) {
            // The caller says "`PATH` is not a driftgate key file: {reason}".
            return Err(format!("it does not start with `{KEY_FILE_HEADER}`"));
        }
        let mut fields = BTreeMap::new();
        for line in lines.filter(|l| !l.starts_with('#')) {
            let (k, v) = line
                .split_once('=')
                .ok_or_else(|| "a line is not `key = value`".to_string())?;
            fields.insert(k.trim().to_string(), v.trim().to_string());
        }
        let name = fields.get("name").ok_or("it has no `name`")?;
        if !valid_name(name) {
            return Err("its `name` is not a valid approver name".into());
        }
        let seed = fields.get("seed").ok_or("it has no `seed`")?;
        let seed: [u8; 32] = STANDARD
            .decode(seed)
            .ok()
            .and_then(|b| b.try_into().ok())
            .ok_or("its `seed` is not 32 bytes of base64")?;
        Ok(KeyFile::from_seed(name, seed))
    }

    /// Signs `domain` followed by `bytes` (a trust root, a plan's digest): each use has its own
    /// domain, so no signature made for one can pass for another.
    pub fn sign(&self, domain: &[u8], bytes: &[u8]) -> [u8; 64] {
        let mut m = domain.to_vec();
        m.extend_from_slice(bytes);
        self.key.sign(&m).to_bytes()
    }
}
