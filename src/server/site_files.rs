//! Which files of a site folder a release binary embeds, and how they are served: shared by `build.rs` (which
//! includes this file) and the crate's tests. Only the standard library: a build script has nothing else.

use std::fs;
use std::path::Path;

/// Every file of the site folder, by its path from the root, when each has gzip and brotli copies no
/// older than itself (what a release build with `--precompress` leaves).
pub fn release_front_end(root: &Path) -> Result<Vec<String>, String> {
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

/// The media type a browser needs for the file (WASM must be `application/wasm` to stream-compile).
pub fn content_type(file: &str) -> &'static str {
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
pub fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(*b)).wrapping_mul(0x0100_0000_01b3)
    })
}

#[cfg(test)]
mod tests {
    use std::fs::File;
    use std::time::{Duration, SystemTime};

    use super::*;

    fn write(root: &Path, file: &str) {
        let path = root.join(file);
        fs::create_dir_all(path.parent().unwrap()).unwrap();
        fs::write(path, file).unwrap();
    }

    #[test]
    fn only_a_precompressed_release_front_end_is_embedded() {
        let root = tempfile::tempdir().unwrap();
        let root = root.path();
        assert!(release_front_end(root).unwrap_err().contains("no .wasm"));
        // A debug build: the files without their compressed copies.
        for file in [
            "favicon.svg",
            "pkg/asgard.js",
            "pkg/asgard.wasm",
            "pkg/asgard.d.ts",
        ] {
            write(root, file);
        }
        assert!(release_front_end(root)
            .unwrap_err()
            .contains("no up-to-date .gz copy"));
        // `--precompress`: every file has both, and the declarations are left out.
        for file in [
            "favicon.svg",
            "pkg/asgard.js",
            "pkg/asgard.wasm",
            "pkg/asgard.d.ts",
        ] {
            write(root, &format!("{file}.gz"));
            write(root, &format!("{file}.br"));
        }
        assert_eq!(
            release_front_end(root).unwrap(),
            ["favicon.svg", "pkg/asgard.js", "pkg/asgard.wasm"]
        );
        // A debug build over it rewrote the WASM after its copies were made.
        let later = SystemTime::now() + Duration::from_secs(60);
        File::options()
            .write(true)
            .open(root.join("pkg/asgard.wasm"))
            .unwrap()
            .set_modified(later)
            .unwrap();
        assert!(release_front_end(root)
            .unwrap_err()
            .contains("pkg/asgard.wasm has no up-to-date"));
    }

    #[test]
    fn media_types_and_tags() {
        assert_eq!(content_type("pkg/asgard.wasm"), "application/wasm");
        assert_eq!(
            content_type("pkg/asgard.js"),
            "text/javascript; charset=utf-8"
        );
        assert_eq!(content_type("favicon.svg"), "image/svg+xml");
        assert_eq!(content_type("LICENSE"), "application/octet-stream");
        // FNV-1a, 64 bits: the published value for "a".
        assert_eq!(fnv1a(b"a"), 0xaf63_dc4c_8601_ec8c);
        assert_ne!(fnv1a(b"ab"), fnv1a(b"ba"));
    }
}
