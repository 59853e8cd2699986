//! The README's table of who may do what is the code's table (`domain::access`).

use pult::domain::access::rules_table;
use pult::domain::policy::{Policy, DEFAULT_POLICY_TOML};

const START: &str = "<!-- rules table: start -->\n";
const END: &str = "<!-- rules table: end -->";

#[test]
fn the_readme_prints_the_rules_table_of_the_code() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/README.md");
    let readme = std::fs::read_to_string(path).expect("README.md");
    let start = readme.find(START).expect("the table's start marker") + START.len();
    let end = readme[start..].find(END).expect("the table's end marker") + start;
    let policy = Policy::parse(DEFAULT_POLICY_TOML).expect("default policy");
    let table = rules_table(&policy);
    if std::env::var_os("PULT_BLESS_README").is_some() {
        let written = format!("{}{table}{}", &readme[..start], &readme[end..]);
        std::fs::write(path, written).expect("README.md written");
        return;
    }
    assert_eq!(
        &readme[start..end],
        table,
        "README.md's table of who may do what differs from domain::access; \
         run PULT_BLESS_README=1 cargo test --test rules_table"
    );
}
