//! The site settings (where the compiled front end lives) for a binary started by cargo-leptos or on its own.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use leptos::config::{get_config_from_str, LeptosOptions};

/// `Leptos.toml`, compiled in so that the binary needs no file beside it.
const LEPTOS_TOML: &str = include_str!("../../Leptos.toml");

/// The site settings: `Leptos.toml`, overridden by any `LEPTOS_*` variable (cargo-leptos sets them), with the
/// address from the command line. A binary that carries its front end (a release build) needs no site folder;
/// otherwise a relative site root is looked up from the working directory, then beside
/// the executable (`target/<profile>/asgard` → `target/site`), then in the source tree it was built from.
pub fn leptos_options(addr: SocketAddr) -> anyhow::Result<LeptosOptions> {
    let mut options = get_config_from_str(LEPTOS_TOML)
        .map_err(|e| anyhow::anyhow!("reading Leptos.toml: {e}"))?;
    options.site_addr = addr;
    if let super::FrontEnd::Embedded(files) = super::FrontEnd::chosen() {
        // The site folder is not read: the binary serves the front end it carries.
        tracing::debug!(
            files = files.len(),
            "serving the front end built into the binary"
        );
        return Ok(options);
    }
    if !cfg!(debug_assertions) && super::site::EMBEDDED.is_empty() {
        // A release server with a debug front end renders pages that never hydrate: say where to look.
        tracing::warn!(
            "this release binary carries no front end (it was built without `--precompress`): it serves the \
             site folder, which must hold the release front end built with it (scripts/build-release.sh)"
        );
    }
    let root = resolve_site_root(
        Path::new(&*options.site_root),
        &options.site_pkg_dir,
        &options.output_name,
    );
    options.site_root = root.to_string_lossy().into_owned().into();
    Ok(options)
}

fn resolve_site_root(root: &Path, pkg_dir: &str, output_name: &str) -> PathBuf {
    if root.is_absolute() {
        return root.to_path_buf();
    }
    let mut candidates = vec![root.to_path_buf()];
    if let Some(profile_dir) = std::env::current_exe()
        .ok()
        .and_then(|exe| exe.parent().map(Path::to_path_buf))
    {
        // target/<profile>/asgard → target/site; also target/<triple>/<profile>/asgard.
        if let Some(name) = root.file_name() {
            for up in profile_dir.ancestors().skip(1).take(2) {
                candidates.push(up.join(name));
            }
        }
    }
    candidates.push(Path::new(env!("CARGO_MANIFEST_DIR")).join(root));
    let built = |dir: &Path| {
        dir.join(pkg_dir)
            .join(format!("{output_name}.js"))
            .is_file()
    };
    match candidates.iter().find(|dir| built(dir)) {
        Some(dir) => dir.clone(),
        None => {
            tracing::warn!(
                site_root = %root.display(),
                "the compiled front end was not found; pages will not hydrate. Build it with `cargo leptos build`"
            );
            root.to_path_buf()
        }
    }
}

#[cfg(test)]
mod tests {
    /// `[package.metadata.leptos]` of a TOML file, read as it is (no `LEPTOS_*` variable applies).
    fn site_settings(text: &str) -> toml::Table {
        let whole: toml::Table = text.parse().unwrap();
        whole["package"]["metadata"]["leptos"]
            .as_table()
            .cloned()
            .unwrap()
    }

    /// cargo-leptos reads `[package.metadata.leptos]` in Cargo.toml; the binary reads Leptos.toml (which the
    /// project layout keeps at the top level). Every setting Leptos.toml holds but `env` (the binary's own)
    /// must be the same in Cargo.toml.
    #[test]
    fn leptos_toml_agrees_with_cargo_toml() {
        let binary = site_settings(super::LEPTOS_TOML);
        let cargo = site_settings(include_str!("../../Cargo.toml"));
        assert!(binary.len() >= 5, "{binary:?}");
        for (key, value) in binary.iter().filter(|(key, _)| *key != "env") {
            assert_eq!(cargo.get(key), Some(value), "`{key}` differs");
        }
    }
}
