//! What `apply` re-observes: only the objects its plan's actions are about, before and after
//! writing, instead of the whole account twice. The objects are read by id
//! (`ObserveRequest::only`), the comparison runs over every state as a scan does (who manages
//! what, where a resource lives), and the report keeps the verdicts on these objects alone:
//! drift elsewhere was not looked at, so it is neither found nor "missing".

use std::collections::{BTreeMap, BTreeSet};

use crate::model::plan::Action;
use crate::model::{Address, DiffReport, Drift, DriftKind, RecordedState, Value};
use crate::spec::Registry;

/// The objects a plan's actions are about (every action: planned, manual or blocked, since
/// `apply` checks each against the cloud).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Touched {
    /// Managed resources, by type and address.
    pub managed: BTreeSet<(String, Address)>,
    /// Unmanaged objects, by type and the id their finding shows.
    pub unmanaged: BTreeSet<(String, String)>,
}

impl Touched {
    pub fn of(actions: &[Action]) -> Touched {
        let mut t = Touched::default();
        for a in actions {
            match &a.address {
                Some(address) => {
                    t.managed.insert((a.resource_type.clone(), address.clone()));
                }
                None => {
                    t.unmanaged
                        .insert((a.resource_type.clone(), a.resource_id.clone()));
                }
            }
        }
        t
    }

    /// The types to observe.
    pub fn types(&self) -> BTreeSet<String> {
        self.managed
            .iter()
            .map(|(t, _)| t.clone())
            .chain(self.unmanaged.iter().map(|(t, _)| t.clone()))
            .collect()
    }

    /// Per type, the ids to read: a recorded resource's `id`, or, for a type identified by one
    /// attribute of its own (an association by its subnet, gateway or VPC: `subnet_id|gateway_id`
    /// is the one of them it has), that identity, the same for the recorded object and for
    /// the object that stands for it now (a subnet moved to another route table keeps its
    /// subnet, not its table, nor its association id: read by its subnet it is *changed*, read
    /// by its recorded table it would be *missing*); for a type with a composite identity,
    /// e.g. `aws_security_group_rule`, its parent's, through which its unit reads it; an
    /// unmanaged object's id (the identity its finding shows). A type one of whose objects has
    /// no id to read by is left out: it is read whole.
    pub fn ids(
        &self,
        registry: &Registry,
        states: &[RecordedState],
    ) -> BTreeMap<String, BTreeSet<String>> {
        let mut ids: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
        let mut whole: BTreeSet<String> = BTreeSet::new();
        // Read by its own identity: `id`, or the one attribute (or alternatives of one) that
        // identifies it: a key pair's `key_pair_id`, an association's subnet or VPC.
        let own_id = |ty: &str| {
            let s = registry.get(ty)?;
            let [part] = s.identity.as_slice() else {
                return None;
            };
            s.identity_fanout.is_empty().then(|| part.clone())
        };
        let by_id = |ty: &str| own_id(ty).is_some();
        for (ty, address) in &self.managed {
            let via = match registry.get(ty) {
                Some(_) if by_id(ty) => own_id(ty),
                Some(spec) => spec.parents.first().map(|p| p.via.clone()),
                None => None,
            };
            let recorded = states
                .iter()
                .flat_map(|s| s.resources.iter())
                .filter(|r| r.resource_type == *ty && r.address == *address);
            let mut found = false;
            for r in recorded {
                // `a|b`: the first alternative with a value.
                let id = via.as_ref().and_then(|v| {
                    crate::spec::alternatives(v).find_map(|name| {
                        r.attributes
                            .get(name)
                            .and_then(Value::scalar_text)
                            .filter(|t| !t.is_empty())
                    })
                });
                match id {
                    Some(id) => {
                        ids.entry(ty.clone()).or_default().insert(id);
                        found = true;
                    }
                    None => {
                        whole.insert(ty.clone());
                    }
                }
            }
            if !found {
                whole.insert(ty.clone());
            }
        }
        for (ty, id) in &self.unmanaged {
            if by_id(ty) {
                ids.entry(ty.clone()).or_default().insert(id.clone());
            } else {
                whole.insert(ty.clone());
            }
        }
        ids.retain(|ty, _| !whole.contains(ty));
        ids
    }

    /// Whether a drift is about one of these objects.
    pub fn keeps(&self, d: &Drift) -> bool {
        match (&d.kind, &d.address) {
            (DriftKind::Unmanaged, _) | (_, None) => self
                .unmanaged
                .contains(&(d.resource_type.clone(), d.id.clone())),
            (_, Some(address)) => self
                .managed
                .contains(&(d.resource_type.clone(), address.clone())),
        }
    }

    /// Keeps in a report only the verdicts on these objects: the rest of the account was not
    /// observed, so a recorded resource elsewhere is neither missing nor unchecked.
    pub fn scope(&self, report: &mut DiffReport) {
        report.drifts.retain(|d| self.keeps(d));
        report.not_checked.retain(|n| {
            self.managed
                .contains(&(n.resource_type.clone(), n.address.clone()))
        });
        let s = &mut report.summary;
        s.changed = count(&report.drifts, DriftKind::Changed);
        s.missing = count(&report.drifts, DriftKind::Missing);
        s.unmanaged = count(&report.drifts, DriftKind::Unmanaged);
        s.not_checked = report.not_checked.len();
        s.recorded = self.managed.len();
        s.checked = s.recorded.saturating_sub(s.not_checked);
    }
}

fn count(drifts: &[Drift], kind: DriftKind) -> usize {
    drifts.iter().filter(|d| d.kind == kind).count()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{RecordedResource, StateSource};

    fn recorded(ty: &str, name: &str, attrs: &[(&str, &str)]) -> RecordedResource {
        RecordedResource {
            address: Address::managed(ty, name),
            resource_type: ty.into(),
            provider: String::new(),
            state: StateSource("terraform.tfstate".into()),
            schema_version: 0,
            attributes: attrs
                .iter()
                .map(|(k, v)| (k.to_string(), Value::str(*v)))
                .collect(),
        }
    }

    /// An association is read by what identifies it (its subnet, gateway or VPC), which a
    /// move to another table or ACL keeps, never by the table or ACL it was recorded on; a
    /// route by its table, a table by its id.
    #[test]
    fn associations_are_read_by_their_identity_not_their_recorded_parent() {
        let registry = Registry::builtin().unwrap();
        let resources = vec![
            recorded(
                "aws_route_table_association",
                "subnet",
                &[
                    ("id", "rtbassoc-1"),
                    ("subnet_id", "subnet-1"),
                    ("gateway_id", ""),
                    ("route_table_id", "rtb-a"),
                ],
            ),
            recorded(
                "aws_route_table_association",
                "edge",
                &[
                    ("id", "rtbassoc-2"),
                    ("subnet_id", ""),
                    ("gateway_id", "igw-1"),
                    ("route_table_id", "rtb-a"),
                ],
            ),
            recorded(
                "aws_main_route_table_association",
                "main",
                &[
                    ("id", "rtbassoc-3"),
                    ("vpc_id", "vpc-1"),
                    ("route_table_id", "rtb-a"),
                ],
            ),
            recorded(
                "aws_network_acl_association",
                "subnet",
                &[
                    ("id", "aclassoc-1"),
                    ("subnet_id", "subnet-2"),
                    ("network_acl_id", "acl-a"),
                ],
            ),
            recorded(
                "aws_route",
                "out",
                &[
                    ("route_table_id", "rtb-b"),
                    ("destination_cidr_block", "0.0.0.0/0"),
                ],
            ),
            recorded("aws_route_table", "a", &[("id", "rtb-a")]),
        ];
        let mut touched = Touched::default();
        for r in &resources {
            touched
                .managed
                .insert((r.resource_type.clone(), r.address.clone()));
        }
        // Found unmanaged: shown by its identity.
        touched
            .unmanaged
            .insert(("aws_network_acl_association".into(), "subnet-3".into()));
        let states = vec![RecordedState {
            source: StateSource("terraform.tfstate".into()),
            terraform_version: String::new(),
            serial: 1,
            lineage: String::new(),
            sha256: String::new(),
            resources,
        }];
        let ids = touched.ids(&registry, &states);
        let set = |items: &[&str]| items.iter().map(|s| s.to_string()).collect();
        let want: BTreeMap<String, BTreeSet<String>> = [
            ("aws_main_route_table_association", set(&["vpc-1"])),
            (
                "aws_network_acl_association",
                set(&["subnet-2", "subnet-3"]),
            ),
            ("aws_route", set(&["rtb-b"])),
            ("aws_route_table", set(&["rtb-a"])),
            ("aws_route_table_association", set(&["igw-1", "subnet-1"])),
        ]
        .into_iter()
        .map(|(t, ids)| (t.to_string(), ids))
        .collect();
        assert_eq!(ids, want);
    }
}
