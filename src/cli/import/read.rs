//! An import file's bytes into rows: the text (UTF-8 with or without its BOM, UTF-16 with
//! its BOM, otherwise Windows-1251), its kind (JSON lines, a JSON array as `pult list --json`
//! prints it, or CSV with `;`, `,` or tab), and each row as a call form with its line.

use serde::Deserialize;
use serde_json::value::RawValue;

use super::words::{parse_when, Column, WhenError, Words};
use super::{ImportError, RowError, Unreadable};
use crate::domain::call_form::CallDraft;
use crate::domain::import::ImportCall;
use crate::domain::request::Channel;

/// Longest row read, in bytes: the form's longest texts in Cyrillic with room to spare.
pub const MAX_RECORD_BYTES: usize = 64 * 1024;

/// One row of the file: a call to send, or why it cannot be read (by its line).
pub type Row = Result<ImportCall, Unreadable>;

/// The file's text. Bytes that are not UTF-8 are read as Windows-1251 (what Russian Excel
/// saves as «CSV»); NUL bytes, or a text that is mostly control characters, mean the file
/// is not text at all.
pub fn decode(bytes: &[u8]) -> Result<String, ImportError> {
    let text = if let Some(rest) = bytes.strip_prefix(b"\xef\xbb\xbf") {
        String::from_utf8_lossy(rest).into_owned()
    } else if let Some(rest) = bytes.strip_prefix(b"\xff\xfe") {
        encoding_rs::UTF_16LE
            .decode_without_bom_handling(rest)
            .0
            .into_owned()
    } else if let Some(rest) = bytes.strip_prefix(b"\xfe\xff") {
        encoding_rs::UTF_16BE
            .decode_without_bom_handling(rest)
            .0
            .into_owned()
    } else {
        match std::str::from_utf8(bytes) {
            Ok(text) => text.to_string(),
            Err(_) => encoding_rs::WINDOWS_1251
                .decode_without_bom_handling(bytes)
                .0
                .into_owned(),
        }
    };
    let controls = text
        .chars()
        .filter(|c| c.is_control() && !matches!(c, '\n' | '\r' | '\t'))
        .count();
    if text.contains('\0') || controls * 100 > text.chars().count().max(1) {
        return Err(ImportError::NotText);
    }
    Ok(text)
}

/// Every row of `text`, in the file's order.
pub fn rows(text: &str, words: &Words) -> Result<Vec<Row>, ImportError> {
    match text.trim_start().chars().next() {
        None => Err(ImportError::Empty),
        Some('[') => json_array(text, words),
        Some('{') => Ok(json_lines(text, words)),
        Some(_) => csv_rows(text, words),
    }
}

// ---- JSON: the shape of `pult list --json` (src/cli/json.rs); what else it holds is left

#[derive(Deserialize)]
struct JsonRequest {
    received_at: Option<String>,
    channel: Option<String>,
    caller: Option<JsonCaller>,
    category: Option<String>,
    description: Option<String>,
}

#[derive(Deserialize, Default)]
struct JsonCaller {
    name: Option<String>,
    role: Option<String>,
    class: Option<String>,
    phone: Option<String>,
    phone_extension: Option<String>,
    email: Option<String>,
}

/// One request object per line (blank lines are passed over).
fn json_lines(text: &str, words: &Words) -> Vec<Row> {
    text.lines()
        .enumerate()
        .filter(|(_, line)| !line.trim().is_empty())
        .map(|(index, line)| json_row(index as u64 + 1, line, words))
        .collect()
}

/// An array of request objects, each read on its own, by the line it starts on.
fn json_array(text: &str, words: &Words) -> Result<Vec<Row>, ImportError> {
    let items: Vec<&RawValue> = serde_json::from_str(text).map_err(|error| ImportError::Json {
        line: error.line() as u64,
        error: error.to_string(),
    })?;
    let base = text.as_ptr() as usize;
    let mut lines = Lines::new(text);
    let mut rows = Vec::with_capacity(items.len());
    for item in items {
        let item = item.get();
        let line = lines.at((item.as_ptr() as usize).saturating_sub(base));
        rows.push(json_row(line, item, words));
    }
    Ok(rows)
}

/// The line of a byte offset in a text, for offsets that only grow.
struct Lines<'t> {
    text: &'t str,
    counted: usize,
    line: u64,
}

impl<'t> Lines<'t> {
    fn new(text: &'t str) -> Lines<'t> {
        Lines {
            text,
            counted: 0,
            line: 1,
        }
    }

    /// The line of the first character at or after `offset` that ends no line (the csv
    /// crate starts a record after a CR LF at its LF).
    fn at(&mut self, offset: usize) -> u64 {
        let bytes = self.text.as_bytes();
        let mut start = offset.clamp(self.counted, bytes.len());
        while matches!(bytes.get(start), Some(b'\r' | b'\n')) {
            start += 1;
        }
        self.line += bytes[self.counted..start]
            .iter()
            .filter(|byte| **byte == b'\n')
            .count() as u64;
        self.counted = start;
        self.line
    }
}

fn json_row(line: u64, text: &str, words: &Words) -> Row {
    if text.len() > MAX_RECORD_BYTES {
        return Err((line, RowError::TooLong { bytes: text.len() }));
    }
    let request: JsonRequest = serde_json::from_str(text)
        .map_err(|error| (line, RowError::NotARequest(error.to_string())))?;
    let caller = request.caller.unwrap_or_default();
    let fields = Fields {
        when: request.received_at.unwrap_or_default(),
        time: String::new(),
        name: caller.name.unwrap_or_default(),
        role: caller.role.unwrap_or_default(),
        class: caller.class.unwrap_or_default(),
        category: request.category.unwrap_or_default(),
        description: request.description.unwrap_or_default(),
        phone: match (caller.phone, caller.phone_extension) {
            (Some(phone), Some(extension)) => format!("{phone} доб. {extension}"),
            (phone, _) => phone.unwrap_or_default(),
        },
        email: caller.email.unwrap_or_default(),
        channel: request.channel.unwrap_or_default(),
    };
    fields.call(line, words).map_err(|error| (line, error))
}

// ---- CSV: Appendix 2's columns, headings in Russian or English

/// The delimiter the heading line uses most: `;` (Russian Excel), `,` or tab.
fn delimiter(text: &str) -> u8 {
    let heading = text.lines().next().unwrap_or_default();
    let mut counts = [(b';', 0usize), (b',', 0), (b'\t', 0)];
    let mut quoted = false;
    for byte in heading.bytes() {
        if byte == b'"' {
            quoted = !quoted;
        } else if !quoted {
            for (delimiter, count) in &mut counts {
                *count += usize::from(byte == *delimiter);
            }
        }
    }
    // the first of the most used (`;` when none is)
    counts
        .iter()
        .fold((b';', 0), |best, &(delimiter, count)| {
            if count > best.1 {
                (delimiter, count)
            } else {
                best
            }
        })
        .0
}

fn csv_rows(text: &str, words: &Words) -> Result<Vec<Row>, ImportError> {
    let mut reader = csv::ReaderBuilder::new()
        .delimiter(delimiter(text))
        .flexible(true)
        .has_headers(true)
        .from_reader(text.as_bytes());
    let headings = reader
        .headers()
        .map_err(|error| ImportError::Csv(error.to_string()))?
        .clone();
    let columns: Vec<Option<Column>> = headings
        .iter()
        .map(|heading| words.column(heading))
        .collect();
    let has = |wanted: &[Column]| columns.iter().flatten().any(|c| wanted.contains(c));
    let mut missing = Vec::new();
    for (wanted, name) in [
        (&[Column::When][..], tr!("import.column.when")),
        (&[Column::Name][..], tr!("import.column.name")),
        (&[Column::Role][..], tr!("import.column.role")),
        (&[Column::Category][..], tr!("import.column.category")),
        (&[Column::Description][..], tr!("import.column.description")),
        (
            &[Column::Phone, Column::Email, Column::Contact][..],
            tr!("import.column.contact"),
        ),
    ] {
        if !has(wanted) {
            missing.push(name);
        }
    }
    if !missing.is_empty() {
        let found = headings
            .iter()
            .map(|heading| format!("«{}»", heading.chars().take(40).collect::<String>()))
            .collect::<Vec<_>>()
            .join(", ");
        return Err(ImportError::Columns {
            missing: missing.join(", "),
            found,
        });
    }
    let mut rows = Vec::new();
    let mut lines = Lines::new(text);
    for record in reader.records() {
        let record = match record {
            Ok(record) => record,
            Err(error) => {
                let line = error
                    .position()
                    .map_or(0, |position| lines.at(position.byte() as usize));
                rows.push(Err((line, RowError::NotARequest(error.to_string()))));
                continue;
            }
        };
        let line = record
            .position()
            .map_or(0, |position| lines.at(position.byte() as usize));
        if record.iter().all(|field| field.trim().is_empty()) {
            // the empty rows a spreadsheet leaves at the end
            continue;
        }
        let bytes: usize = record.iter().map(str::len).sum();
        if bytes > MAX_RECORD_BYTES {
            rows.push(Err((line, RowError::TooLong { bytes })));
            continue;
        }
        let mut fields = Fields::default();
        for (column, value) in columns.iter().zip(record.iter()) {
            let Some(column) = column else { continue };
            let slot = match column {
                Column::When => &mut fields.when,
                Column::Time => &mut fields.time,
                Column::Name => &mut fields.name,
                Column::Role => &mut fields.role,
                Column::Class => &mut fields.class,
                Column::Category => &mut fields.category,
                Column::Description => &mut fields.description,
                Column::Phone => &mut fields.phone,
                Column::Email => &mut fields.email,
                Column::Contact => {
                    fields.contact(value);
                    continue;
                }
                Column::Channel => &mut fields.channel,
            };
            if slot.is_empty() {
                *slot = value.to_string();
            }
        }
        rows.push(fields.call(line, words).map_err(|error| (line, error)));
    }
    Ok(rows)
}

/// A row's texts by what they mean, before they are read.
#[derive(Default)]
struct Fields {
    when: String,
    time: String,
    name: String,
    role: String,
    class: String,
    category: String,
    description: String,
    phone: String,
    email: String,
    channel: String,
}

impl Fields {
    /// One column for both: the part with `@` is the email, the rest the phone.
    fn contact(&mut self, value: &str) {
        let (emails, phones): (Vec<&str>, Vec<&str>) = value
            .split([',', ';', '/'])
            .map(str::trim)
            .filter(|part| !part.is_empty())
            .partition(|part| part.contains('@'));
        if self.email.is_empty() {
            self.email = emails.join(" ");
        }
        if self.phone.is_empty() {
            self.phone = phones.join(" ");
        }
    }

    /// The row as the call form, with its received time and channel read; the form's own
    /// checks are the server's.
    fn call(self, line: u64, words: &Words) -> Result<ImportCall, RowError> {
        let written = format!("{} {}", self.when.trim(), self.time.trim());
        let written = written.trim();
        let answered_at = if written.is_empty() {
            None
        } else {
            Some(parse_when(written).map_err(|error| match error {
                WhenError::Unreadable => RowError::BadTime(shown(written)),
                WhenError::NoSuchLocalTime => RowError::NoSuchTime(shown(written)),
            })?)
        };
        let role = match self.role.trim() {
            "" => return Err(RowError::NoRole),
            text => words
                .role(text)
                .ok_or_else(|| RowError::BadRole(shown(text)))?,
        };
        let category = match self.category.trim() {
            "" => return Err(RowError::NoCategory),
            text => words
                .category(text)
                .ok_or_else(|| RowError::BadCategory(shown(text)))?,
        };
        let channel = match self.channel.trim() {
            "" => Channel::Phone,
            text => words
                .channel(text)
                .ok_or_else(|| RowError::BadChannel(shown(text)))?,
        };
        Ok(ImportCall {
            line,
            draft: CallDraft {
                caller_card: None,
                acknowledge: false,
                answered_at,
                name: self.name,
                role: Some(role),
                class: self.class,
                category: Some(category),
                description: self.description,
                phone: self.phone,
                email: self.email,
            },
            channel,
        })
    }
}

/// A text of the file as a refusal quotes it: its first 60 characters.
fn shown(text: &str) -> String {
    let mut chars = text.chars();
    let mut shown: String = chars.by_ref().take(60).collect();
    if chars.next().is_some() {
        shown.push('…');
    }
    shown
}
