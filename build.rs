// The catalogue (locales/) is compiled in by rust-i18n's macro, which cargo does not watch:
// a changed text must rebuild the crate.
fn main() {
    println!("cargo:rerun-if-changed=locales");
}
