//! The built-in examples are compiled into the binary (`include_dir!`): rebuild when they change.

fn main() {
    println!("cargo:rerun-if-changed=examples");
}
