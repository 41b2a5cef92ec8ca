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

    /// Per type, the cloud ids to read: a recorded resource's `id` (or, for a type with no
    /// cloud id of its own, e.g. `aws_security_group_rule`, its parent's, through which its
    /// unit reads it), an unmanaged object's id. A type one of whose objects has no id to read
    /// by is left out: it is read whole.
    pub fn ids(
        &self,
        registry: &Registry,
        states: &[RecordedState],
    ) -> BTreeMap<String, BTreeSet<String>> {
        let mut ids: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
        let mut whole: BTreeSet<String> = BTreeSet::new();
        // Read by its own id: identified by `id`, or by one attribute of its own when nothing
        // else (no parent) identifies it: then that attribute is its cloud id (a key pair's
        // `key_pair_id`).
        let own_id = |ty: &str| {
            let s = registry.get(ty)?;
            let [part] = s.identity.as_slice() else {
                return None;
            };
            (s.identity_fanout.is_empty()
                && !part.contains('|')
                && (part == "id" || s.parents.is_empty()))
            .then(|| part.clone())
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
                match via
                    .as_ref()
                    .and_then(|v| r.attributes.get(v))
                    .and_then(Value::scalar_text)
                {
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
