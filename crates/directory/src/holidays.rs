//! The public holidays "open now" and "open at" evaluate against: the
//! bundled holidays (`renkei_domain::holidays`), to be overridden by an
//! operator's import of the Cabinet Office's file (not yet built; see
//! docs/data-sources.md).

use std::sync::LazyLock;

use renkei_domain::holidays::Holidays;

static CURRENT: LazyLock<Holidays> = LazyLock::new(Holidays::bundled);

/// The holidays in force.
pub fn current() -> &'static Holidays {
    &CURRENT
}
