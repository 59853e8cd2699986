//! Everything the command line prints leaves through here: stdout, stderr, the reports it
//! writes to files. Names, reasons, the vendor's texts, the school's policy and the arguments
//! echoed back are typed by people, and an escape sequence in one would drive the reader's
//! terminal (clear it, retitle it, hide a line) or a bidi control reorder what they read; so
//! every text is cleaned by `domain::validate::printable`, the console's own rule.

use std::io::{self, Write};
use std::path::Path;

use super::CliError;
use crate::domain::validate::{is_unsafe_char, printable};

/// Excel's sign that a CSV is UTF-8: pult's own, it goes in front of the cleaned text.
const BOM: char = '\u{feff}';

/// Prints `text` to stdout, cleaned.
pub fn stdout(text: &str) -> io::Result<()> {
    io::stdout().lock().write_all(printable(text).as_bytes())
}

/// Prints `text` to stderr, cleaned.
pub fn stderr(text: &str) -> io::Result<()> {
    io::stderr().lock().write_all(printable(text).as_bytes())
}

/// `println!`, cleaned; evaluates to `io::Result<()>`.
macro_rules! say {
    ($($arg:tt)*) => {
        $crate::cli::out::stdout(&format!("{}\n", format_args!($($arg)*)))
    };
}

/// `eprintln!`, cleaned; evaluates to `io::Result<()>`.
macro_rules! tell {
    ($($arg:tt)*) => {
        $crate::cli::out::stderr(&format!("{}\n", format_args!($($arg)*)))
    };
}

pub(crate) use say;
pub(crate) use tell;

/// A report (Markdown or CSV) to stdout or to the file `output`, cleaned; a CSV keeps its
/// byte-order mark.
pub fn report(text: &str, output: Option<&Path>) -> Result<(), CliError> {
    let (bom, body) = match text.strip_prefix(BOM) {
        Some(body) => (BOM.to_string(), body),
        None => (String::new(), text),
    };
    let clean = format!("{bom}{}", printable(body));
    match output {
        Some(path) => {
            std::fs::write(path, clean).map_err(|source| CliError::Write {
                path: path.to_path_buf(),
                source,
            })?;
            tell!("{}", tr!("print.written", path = path.display()))?;
        }
        None => io::stdout().lock().write_all(clean.as_bytes())?,
    }
    Ok(())
}

/// Pretty JSON for scripts, one value (see `escape_json`).
pub fn json(value: &serde_json::Value) -> Result<(), CliError> {
    let text = escape_json(&serde_json::to_string_pretty(value)?);
    say!("{text}")?;
    Ok(())
}

/// serde_json escapes the C0 controls only; whatever else the console's rule forbids (DEL,
/// C1, bidi controls, separators) is escaped here as `\uXXXX`, so a script still gets every
/// character and a terminal none raw. Outside its strings JSON holds nothing but ASCII
/// punctuation, letters, digits and white space, so each such character is in a string,
/// where the escape means the same character; all of them are in the Basic Multilingual
/// Plane, so one escape each.
fn escape_json(text: &str) -> String {
    let mut escaped = String::with_capacity(text.len());
    for c in text.chars() {
        if c != '\n' && is_unsafe_char(c) {
            escaped.push_str(&format!("\\u{:04x}", u32::from(c)));
        } else {
            escaped.push(c);
        }
    }
    escaped
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_escapes_what_serde_json_leaves_raw_and_means_the_same() {
        let value = serde_json::json!({
            "name": "a\u{1b}[31m\u{9b}\u{202e}\u{2028}\u{7f}\u{feff}\tb\r\n"
        });
        let text = serde_json::to_string_pretty(&value).unwrap();
        assert!(
            text.contains("\\u001b"),
            "serde_json escapes C0 itself: {text}"
        );
        assert!(
            text.contains('\u{9b}') && text.contains('\u{202e}'),
            "{text}"
        );
        let escaped = escape_json(&text);
        assert_eq!(printable(&escaped), escaped, "nothing left to clean");
        assert!(escaped.contains("\\u009b") && escaped.contains("\\u2028"));
        let back: serde_json::Value = serde_json::from_str(&escaped).unwrap();
        assert_eq!(back, value);
    }

    #[test]
    fn a_report_keeps_its_bom_and_loses_escape_sequences() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("отчёт.csv");
        report("\u{feff}Очередь;\u{1b}[2JТехн.\r\n", Some(&path)).unwrap();
        let written = std::fs::read_to_string(&path).unwrap();
        assert_eq!(written, "\u{feff}Очередь;Техн.\r\n");
    }
}
