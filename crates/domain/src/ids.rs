//! Explicit identifier types, so that a user id can never be passed where an
//! organisation id is expected (the Kanidm habit the design asks for).

use serde::{Deserialize, Serialize};

macro_rules! id_type {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(pub i64);

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                self.0.fmt(f)
            }
        }
    };
}

id_type!(
    /// A region (連携圏域): one deployment may serve several, each fully separated.
    RegionId
);
id_type!(
    /// A municipality (市区町村) inside a region.
    MunicipalityId
);
id_type!(
    /// An organisation (事業所・機関) inside a region.
    OrgId
);
id_type!(
    /// A user account.
    UserId
);
