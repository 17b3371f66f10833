//! Interoperability (連携の標準化): Renkei's data in HL7 FHIR R4 with the
//! JP Core profiles (DOMAIN.md §9). Pure functions from domain values to
//! FHIR JSON; the web layer serves them under `/fhir/`.

pub mod care;
pub mod directory;

/// The JP Core canonical base.
pub const JP_CORE: &str = "http://jpfhir.jp/fhir/core/StructureDefinition/";
/// JP Core extensions live under this base.
pub const JP_CORE_EXTENSION: &str = "http://jpfhir.jp/fhir/core/Extension/StructureDefinition/";
