//! Test fixtures: the few reads of the private store that tests check an
//! import or an edit against, and the writes they set a scene up with
//! (an acceptance status, local fields, a local entry, a change request)
//! without a signed-in user. Compiled only with the `fixtures` feature,
//! which only test builds turn on, so production code reaches entries
//! through the service alone (authorised and audited).

pub use crate::store::{
    count_entries, entry_by_code, entry_meta, insert_change_request, insert_entries,
    insert_local_entry, local_fields, mark_disappeared, procedures, set_acceptance,
    write_acceptance, write_local_fields, EntryFields, EntryRow,
};
