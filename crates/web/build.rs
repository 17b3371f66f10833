//! Takes the front-end assets Renkei serves from the npm packages the
//! README's set-up installs (`npm ci`), so the versions are pinned by
//! package-lock.json and nothing is copied into the repository by hand.

use std::path::{Path, PathBuf};

const ASSETS: &[(&str, &str)] = &[
    ("@digital-go-jp/design-tokens/dist/tokens.css", "tokens.css"),
    (
        "@digital-go-jp/design-tokens/LICENSE",
        "design-tokens-LICENSE.txt",
    ),
    ("leaflet/dist/leaflet.js", "leaflet.js"),
    ("leaflet/dist/leaflet.css", "leaflet.css"),
    ("leaflet/dist/images/marker-icon.png", "marker-icon.png"),
    (
        "leaflet/dist/images/marker-icon-2x.png",
        "marker-icon-2x.png",
    ),
    ("leaflet/dist/images/marker-shadow.png", "marker-shadow.png"),
    ("leaflet/LICENSE", "leaflet-LICENSE.txt"),
    (
        "leaflet.markercluster/dist/leaflet.markercluster.js",
        "leaflet.markercluster.js",
    ),
    (
        "leaflet.markercluster/dist/MarkerCluster.css",
        "MarkerCluster.css",
    ),
    (
        "leaflet.markercluster/dist/MarkerCluster.Default.css",
        "MarkerCluster.Default.css",
    ),
    (
        "leaflet.markercluster/MIT-LICENCE.txt",
        "markercluster-LICENSE.txt",
    ),
];

fn main() {
    let manifest =
        PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR"));
    let node_modules = manifest.join("../../node_modules");
    let out = PathBuf::from(std::env::var("OUT_DIR").expect("cargo sets OUT_DIR"));
    for (source, name) in ASSETS {
        let from = node_modules.join(source);
        println!("cargo:rerun-if-changed={}", from.display());
        copy(&from, &out.join(name));
    }
}

fn copy(from: &Path, to: &Path) {
    if let Err(e) = std::fs::copy(from, to) {
        panic!(
            "\n\nmissing front-end asset {} ({e}).\nRun `npm ci` in the repository root first \
             (./dev start and ./dev test do it for you).\n\n",
            from.display()
        );
    }
}
