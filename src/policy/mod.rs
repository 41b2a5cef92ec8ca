//! (placeholder: severity policy, issue 3)
