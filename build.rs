//! Build steps of the crate.
//!
//! - The built-in examples are compiled into the binary (`include_dir!`): rebuild when they change.
//! - A release build of the server carries the compiled front end inside itself (`server::site`), so that the
//!   `asgard` binary serves the whole dashboard alone: every file of the site folder cargo-leptos built
//!   (`target/site`: the WASM, JS, CSS and public files) with its gzip and brotli copies, which
//!   `cargo leptos build --release --precompress` makes. Only such a folder is taken: a debug front end there
//!   (no precompressed copies, or copies older than their files) would not hydrate with a release server, so
//!   the binary is then built without one and serves from disk as a debug binary does.

use std::env;
use std::fmt::Write as _;
use std::fs;
use std::path::{Path, PathBuf};

fn main() {
    println!("cargo:rerun-if-changed=examples");
    site::generate();
}

/// Which files of the site folder to embed, their media types and tags (also unit-tested in the crate).
#[path = "src/server/site_files.rs"]
mod site_files;

mod site {
    use super::site_files::{content_type, fnv1a, release_front_end};
    use super::*;

    /// Writes `$OUT_DIR/site.rs`: the table of embedded files, empty unless this is a release build of the
    /// server and the site folder holds a precompressed release front end.
    pub fn generate() {
        println!("cargo:rerun-if-env-changed=ASGARD_SITE_DIR");
        println!("cargo:rerun-if-env-changed=ASGARD_EMBED_SITE");
        let out = PathBuf::from(env::var_os("OUT_DIR").expect("cargo sets OUT_DIR"));
        let server = env::var_os("CARGO_FEATURE_SSR").is_some()
            && !env::var("TARGET").unwrap_or_default().starts_with("wasm32");
        let release = env::var("PROFILE").as_deref() == Ok("release");
        let wanted = env::var("ASGARD_EMBED_SITE").as_deref() != Ok("0");
        let root = env::var_os("ASGARD_SITE_DIR")
            .map(PathBuf::from)
            .unwrap_or_else(|| {
                Path::new(&env::var_os("CARGO_MANIFEST_DIR").expect("cargo sets it"))
                    .join("target/site")
            });
        let files = if server && release && wanted {
            println!("cargo:rerun-if-changed={}", root.display());
            match release_front_end(&root) {
                Ok(files) => files,
                Err(why) => {
                    println!(
                        "cargo:warning=this release binary carries no front end and serves it from {} \
                         at run time: {why}; build with `cargo leptos build --release --precompress`",
                        root.display()
                    );
                    Vec::new()
                }
            }
        } else {
            Vec::new()
        };
        fs::write(out.join("site.rs"), table(&root, &files)).expect("writing site.rs in OUT_DIR");
    }

    /// The Rust source of the table: `pub static EMBEDDED: &[Asset] = &[…];`, sorted by path.
    fn table(root: &Path, files: &[String]) -> String {
        let mut source = String::from("pub static EMBEDDED: &[Asset] = &[\n");
        for file in files {
            let path = root.join(file);
            let bytes = fs::read(&path).expect("reading a site file");
            let include = |p: &Path| format!("include_bytes!({:?})", p.display().to_string());
            writeln!(
                source,
                "    Asset {{ path: {:?}, content_type: {:?}, etag: {:?}, identity: {}, gzip: {}, brotli: {} }},",
                format!("/{file}"),
                content_type(file),
                format!("{:016x}", fnv1a(&bytes)),
                include(&path),
                include(&root.join(format!("{file}.gz"))),
                include(&root.join(format!("{file}.br"))),
            )
            .expect("writing to a string");
        }
        source.push_str("];\n");
        source
    }
}
