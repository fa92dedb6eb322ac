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

mod site {
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

    /// Every file of the site folder, by its path from the root, when each has gzip and brotli copies no
    /// older than itself (what a release build with `--precompress` leaves).
    fn release_front_end(root: &Path) -> Result<Vec<String>, String> {
        let mut files = Vec::new();
        walk(root, root, &mut files).map_err(|e| format!("cannot read {}: {e}", root.display()))?;
        files.sort();
        let wasm = files.iter().any(|f| f.ends_with(".wasm"));
        if !wasm {
            return Err("it holds no compiled front end (no .wasm file)".into());
        }
        for file in &files {
            let modified = |p: &Path| fs::metadata(p).and_then(|m| m.modified()).ok();
            let at = modified(&root.join(file));
            for copy in ["gz", "br"] {
                let copy_at = modified(&root.join(format!("{file}.{copy}")));
                if copy_at.is_none() || copy_at < at {
                    return Err(format!(
                        "{file} has no up-to-date .{copy} copy (a debug front end, or a release one built \
                         without --precompress)"
                    ));
                }
            }
        }
        Ok(files)
    }

    /// The files under `dir`, as paths from `root` with `/` separators, leaving out the compressed copies and
    /// TypeScript's declarations (no browser asks for them).
    fn walk(root: &Path, dir: &Path, files: &mut Vec<String>) -> std::io::Result<()> {
        for entry in fs::read_dir(dir)? {
            let path = entry?.path();
            if path.is_dir() {
                walk(root, &path, files)?;
            } else if !matches!(path.extension().and_then(|e| e.to_str()), Some("gz" | "br"))
                && !path.to_string_lossy().ends_with(".d.ts")
            {
                let relative = path.strip_prefix(root).expect("under the root");
                let parts: Vec<_> = relative.iter().map(|p| p.to_string_lossy()).collect();
                files.push(parts.join("/"));
            }
        }
        Ok(())
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

    /// The media type a browser needs for the file (WASM must be `application/wasm` to stream-compile).
    fn content_type(file: &str) -> &'static str {
        match file.rsplit('.').next().unwrap_or_default() {
            "wasm" => "application/wasm",
            "js" | "mjs" => "text/javascript; charset=utf-8",
            "css" => "text/css; charset=utf-8",
            "html" => "text/html; charset=utf-8",
            "svg" => "image/svg+xml",
            "png" => "image/png",
            "ico" => "image/x-icon",
            "json" => "application/json",
            "txt" | "ts" => "text/plain; charset=utf-8",
            _ => "application/octet-stream",
        }
    }

    /// A 64-bit FNV-1a hash of the file: its `ETag`, which changes whenever its bytes do.
    fn fnv1a(bytes: &[u8]) -> u64 {
        bytes.iter().fold(0xcbf2_9ce4_8422_2325, |h, b| {
            (h ^ u64::from(*b)).wrapping_mul(0x0100_0000_01b3)
        })
    }
}
