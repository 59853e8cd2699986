//! The catalogue is complete: every text the code asks for (`tr!("key"…)`) is in Russian and
//! in English, the two languages hold the same keys, and a text names the same `%{values}`
//! in both.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use clap::CommandFactory;

type Catalogue = BTreeMap<String, BTreeMap<String, String>>;

fn files_under(dir: &Path, ext: &str, found: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            files_under(&path, ext, found);
        } else if path.extension().is_some_and(|e| e == ext) {
            found.push(path);
        }
    }
}

/// Language → key → text, from every `locales/**/<lang>.yml` (flat `key: "text"` lines).
fn catalogue() -> Catalogue {
    let mut files = Vec::new();
    files_under(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("locales"),
        "yml",
        &mut files,
    );
    let mut catalogue = Catalogue::new();
    for file in files {
        let lang = file.file_stem().unwrap().to_string_lossy().to_string();
        let texts = catalogue.entry(lang).or_default();
        for line in std::fs::read_to_string(&file).unwrap().lines() {
            if line.starts_with('#') || line.starts_with("_version") || line.trim().is_empty() {
                continue;
            }
            let (key, text) = line
                .split_once(": ")
                .unwrap_or_else(|| panic!("{}: not `key: \"text\"`: {line}", file.display()));
            let previous = texts.insert(key.to_string(), text.trim().to_string());
            assert!(previous.is_none(), "{}: {key} twice", file.display());
        }
    }
    catalogue
}

/// The keys the code asks for: the first argument of every `tr!(`.
fn keys_in_code() -> BTreeSet<String> {
    let mut files = Vec::new();
    files_under(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("src"),
        "rs",
        &mut files,
    );
    let mut keys = BTreeSet::new();
    for file in files {
        // lang.rs defines the macro and shows it in its comments
        if file.ends_with("lang.rs") {
            continue;
        }
        let code = std::fs::read_to_string(&file).unwrap();
        let mut rest = code.as_str();
        while let Some(at) = rest.find("tr!(") {
            // `tr!(` itself, not the end of `include_str!(`
            let own = rest[..at]
                .chars()
                .next_back()
                .is_none_or(|c| !(c.is_alphanumeric() || c == '_'));
            rest = &rest[at + 4..];
            let quoted = rest.trim_start().strip_prefix('"');
            if let (true, Some(key)) = (own, quoted.and_then(|text| text.split('"').next())) {
                keys.insert(key.to_string());
            }
        }
    }
    keys
}

/// The examples a command may have after its options (`cli.help.<path>.examples`).
fn cli_examples_keys() -> BTreeSet<String> {
    fn walk(command: &clap::Command, path: &str, keys: &mut BTreeSet<String>) {
        keys.insert(format!("cli.help.{path}.examples"));
        // the value names the help writes in words (`<КАТАЛОГ>`)
        for arg in command.get_arguments() {
            let names: Vec<String> = match arg.get_value_names() {
                Some(names) => names.iter().map(|name| name.to_lowercase()).collect(),
                None => vec![arg.get_id().as_str().to_lowercase()],
            };
            keys.extend(names.into_iter().map(|name| format!("cli.value.{name}")));
        }
        for sub in command.get_subcommands() {
            walk(sub, &format!("{path}.{}", sub.get_name()), keys);
        }
    }
    let mut keys = BTreeSet::new();
    walk(&pult::cli::Cli::command(), "pult", &mut keys);
    keys
}

/// The keys of the command line's help: `cli.help.` and each command's and argument's path.
fn cli_help_keys() -> BTreeSet<String> {
    fn walk(command: &clap::Command, path: &str, keys: &mut BTreeSet<String>) {
        keys.insert(format!("cli.help.{path}"));
        for arg in command.get_arguments() {
            if !arg.is_global_set() || path == "pult" {
                keys.insert(format!("cli.help.{path}.{}", arg.get_id()));
            }
        }
        for sub in command.get_subcommands() {
            walk(sub, &format!("{path}.{}", sub.get_name()), keys);
        }
    }
    let mut keys = BTreeSet::new();
    walk(&pult::cli::Cli::command(), "pult", &mut keys);
    keys
}

fn placeholders(text: &str) -> BTreeSet<String> {
    text.split("%{")
        .skip(1)
        .filter_map(|piece| piece.split('}').next())
        .map(str::to_string)
        .collect()
}

#[test]
fn russian_and_english_hold_every_text_the_code_asks_for() {
    let catalogue = catalogue();
    let ru = &catalogue["ru"];
    let en = &catalogue["en"];
    assert_eq!(catalogue.len(), 2, "languages: {:?}", catalogue.keys());
    let missing = |texts: &BTreeMap<String, String>, lang: &str| {
        keys_in_code()
            .into_iter()
            .chain(cli_help_keys())
            .filter(|key| !texts.contains_key(key))
            .map(|key| format!("{lang}: {key}"))
            .collect::<Vec<_>>()
    };
    let mut problems = missing(ru, "ru");
    problems.extend(missing(en, "en"));
    for key in ru.keys().filter(|key| !en.contains_key(*key)) {
        problems.push(format!("en lacks {key}"));
    }
    for key in en.keys().filter(|key| !ru.contains_key(*key)) {
        problems.push(format!("ru lacks {key}"));
    }
    for (key, text) in ru {
        if let Some(english) = en.get(key) {
            if placeholders(text) != placeholders(english) {
                problems.push(format!("{key}: {text} / {english} name other values"));
            }
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn every_text_in_the_catalogue_is_used() {
    let mut used = keys_in_code();
    used.extend(cli_help_keys());
    used.extend(cli_examples_keys());
    let catalogue = catalogue();
    let unused: Vec<&String> = catalogue["ru"]
        .keys()
        .filter(|key| !used.contains(*key) && *key != "lang.name")
        .collect();
    assert!(unused.is_empty(), "never asked for: {unused:?}");
}
