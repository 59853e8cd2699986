//! Checking and normalising what an operator types or pastes into the call form.

use std::borrow::Cow;
use std::fmt;

use serde::{Deserialize, Serialize};
use thiserror::Error;

/// Longest accepted text per field, in characters.
pub const MAX_NAME: usize = 200;
pub const MAX_CLASS: usize = 12;
pub const MAX_DESCRIPTION: usize = 4_000;
pub const MAX_PHONE: usize = 40;
pub const MAX_EMAIL: usize = 254;
/// A staff login is an OS user name: `useradd` allows 32 characters.
pub const MAX_LOGIN: usize = 32;
/// Why a request is cancelled, returned, reopened or given more time, and the head's comment.
pub const MAX_REASON: usize = 2_000;
/// A note, a result, what goes to the vendor and what it answers.
pub const MAX_TEXT: usize = 10_000;
/// The vendor's ticket number.
pub const MAX_TICKET: usize = 100;
/// The head's proposals to the director for a week (a few pages).
pub const MAX_PROPOSALS: usize = 20_000;

/// Why a field's text is not accepted, in words shown next to the field. It travels in an
/// import's answer (`domain::import::RowRefusal`): only ever append.
#[derive(Debug, Clone, PartialEq, Eq, Error, Serialize, Deserialize)]
pub enum FieldError {
    #[error("{}", tr!("field_error.required"))]
    Required,
    #[error("{}", tr!("field_error.role"))]
    RoleRequired,
    #[error("{}", tr!("field_error.category"))]
    CategoryRequired,
    #[error("{}", tr!("field_error.class_required"))]
    ClassRequired,
    #[error("{}", tr!("field_error.class"))]
    ClassMalformed,
    #[error("{}", tr!("field_error.phone"))]
    PhoneMalformed,
    #[error("{}", tr!("field_error.email"))]
    EmailMalformed,
    #[error("{}", tr!("field_error.contact"))]
    ContactRequired,
    #[error("{}", tr!("field_error.too_long", max = .0))]
    TooLong(usize),
    #[error("{}", tr!("field_error.phone_letters"))]
    PhoneLetters,
    #[error("{}", tr!("field_error.phone_digits", count = .0))]
    PhoneDigits(usize),
    #[error("{}", tr!("field_error.phone_not_russian"))]
    PhoneNotRussian,
    #[error("{}", tr!("field_error.phone_code", code = .0))]
    PhoneCode(String),
    #[error("{}", tr!("field_error.phone_extension"))]
    PhoneExtension,
    #[error("{}", tr!("field_error.name_digits"))]
    NameDigits,
    #[error("{}", tr!("field_error.name_text", words = MAX_NAME_WORDS))]
    NameLikeText,
}

/// A Russian phone number: ten digits after `+7`, how the operator grouped its area code (a
/// city code of 3, 4 or 5 digits cannot be told from the digits), and an extension if any.
///
/// Kept and sent as one string, `+73452123456;code=4;ext=12` (RFC 3966 style; the parameters
/// only where they are not the default), so numbers stored before the code length and the
/// extension were kept read as they were.
#[derive(Debug, Clone)]
pub struct Phone {
    /// `+7` and ten digits.
    number: String,
    /// Digits of the area code as written: 3 (mobile, Moscow), 4 or 5 (a town's code).
    code_len: u8,
    extension: Option<String>,
}

/// Longest extension kept (digits).
const MAX_EXTENSION: usize = 6;

impl Phone {
    /// Accepts the usual Russian writings: `8 912 345-67-89`, `+7 (912) 345 67 89`,
    /// `89123456789`, `9123456789`, city numbers such as `8 (495) 123-45-67` and
    /// `8 (3452) 12-34-56`, `8 800 555-35-35`, each with an extension (`доб. 12`, `ext 12`).
    pub fn parse(text: &str) -> Result<Phone, FieldError> {
        let text = text.trim();
        if text.chars().count() > MAX_PHONE {
            return Err(FieldError::TooLong(MAX_PHONE));
        }
        if text.is_empty() {
            return Err(FieldError::PhoneMalformed);
        }
        let (main, extension) = split_extension(text)?;
        let allowed = |c: char| c.is_ascii_digit() || " +-().".contains(c);
        if !main.chars().all(allowed) {
            return Err(FieldError::PhoneLetters);
        }
        let digits: String = main.chars().filter(char::is_ascii_digit).collect();
        let plus = main.trim_start().starts_with('+');
        let national = match (plus, digits.len()) {
            (true, _) if !digits.starts_with('7') => return Err(FieldError::PhoneNotRussian),
            (true, 11) => &digits[1..],
            (false, 11) if digits.starts_with('8') || digits.starts_with('7') => &digits[1..],
            // no 89x code exists: this is 8 and a mobile number a digit short
            (false, 10) if digits.starts_with("89") => return Err(FieldError::PhoneDigits(9)),
            (false, 10) => digits.as_str(),
            (true, count) => return Err(FieldError::PhoneDigits(count.saturating_sub(1))),
            (false, count) => return Err(FieldError::PhoneDigits(count)),
        };
        // Russian numbers start 3, 4 (regions), 8 (regions, 800 toll-free) or 9 (mobile)
        if !matches!(national.as_bytes().first(), Some(b'3' | b'4' | b'8' | b'9')) {
            return Err(FieldError::PhoneCode(national[..3].to_string()));
        }
        // a mobile or a toll-free number has a three-digit code however it was written
        let code_len = if national.starts_with('9') || national.starts_with("800") {
            3
        } else {
            code_length(main)
        };
        Ok(Phone {
            number: format!("+7{national}"),
            code_len,
            extension,
        })
    }

    /// `+79123456789`: the number alone, as scripts and caller cards know it.
    pub fn e164(&self) -> &str {
        &self.number
    }

    pub fn extension(&self) -> Option<&str> {
        self.extension.as_deref()
    }

    /// `+7 912 345-67-89`, `+7 3452 12-34-56`, `+7 34342 1-23-45`, with ` доб. 12`.
    pub fn display(&self) -> String {
        let digits = &self.number[2..];
        let (code, local) = digits.split_at(usize::from(self.code_len));
        let local = match local.len() {
            7 => format!("{}-{}-{}", &local[..3], &local[3..5], &local[5..]),
            6 => format!("{}-{}-{}", &local[..2], &local[2..4], &local[4..]),
            _ => format!("{}-{}-{}", &local[..1], &local[1..3], &local[3..]),
        };
        match &self.extension {
            Some(extension) => tr!(
                "phone.with_extension",
                number = format!("+7 {code} {local}"),
                extension = extension
            ),
            None => format!("+7 {code} {local}"),
        }
    }

    /// The one string it is kept and sent as.
    fn stored(&self) -> String {
        let mut stored = self.number.clone();
        if self.code_len != 3 {
            stored.push_str(&format!(";code={}", self.code_len));
        }
        if let Some(extension) = &self.extension {
            stored.push_str(&format!(";ext={extension}"));
        }
        stored
    }

    /// Reads what `stored` wrote (and the bare E.164 of older stores).
    fn from_stored(text: &str) -> Option<Phone> {
        let mut parts = text.split(';');
        let number = parts.next()?;
        let valid = number.len() == 12
            && number.starts_with("+7")
            && number[2..].bytes().all(|b| b.is_ascii_digit());
        if !valid {
            return None;
        }
        let mut phone = Phone {
            number: number.to_string(),
            code_len: 3,
            extension: None,
        };
        for part in parts {
            match part.split_once('=')? {
                ("code", len) => {
                    phone.code_len = len.parse().ok().filter(|n| (3..=5).contains(n))?
                }
                ("ext", extension) => phone.extension = Some(extension.to_string()),
                _ => return None,
            }
        }
        Some(phone)
    }
}

/// The main number and the extension after `доб.`, `доб`, `ext`, `ext.`, `x` or `#`.
fn split_extension(text: &str) -> Result<(&str, Option<String>), FieldError> {
    let lower = text.to_lowercase();
    // lower-casing keeps these markers' byte positions: they and what precedes them are
    // ASCII or Cyrillic letters of the same length in both cases
    let found = ["доб.", "доб", "ext.", "ext", "x", "#"]
        .iter()
        .filter_map(|marker| lower.find(marker).map(|at| (at, marker.len())))
        .min_by_key(|(at, _)| *at);
    let Some((at, len)) = found.filter(|(at, _)| text.is_char_boundary(*at)) else {
        return Ok((text, None));
    };
    let Some(rest) = text.get(at + len..) else {
        return Ok((text, None));
    };
    let extension: String = rest.trim().trim_start_matches('.').trim().to_string();
    if extension.is_empty()
        || extension.len() > MAX_EXTENSION
        || !extension.bytes().all(|b| b.is_ascii_digit())
    {
        return Err(FieldError::PhoneExtension);
    }
    Ok((text[..at].trim_end_matches([' ', ',']), Some(extension)))
}

/// How many digits the area code has as the operator wrote it: the digits in parentheses, or
/// the first group after `8`/`+7` when the number is written in groups; 3 otherwise.
fn code_length(main: &str) -> u8 {
    let written = if let (Some(open), Some(close)) = (main.find('('), main.find(')')) {
        main.get(open + 1..close).map(str::to_string)
    } else {
        let groups: Vec<&str> = main
            .split([' ', '-'])
            .filter(|group| !group.is_empty())
            .collect();
        match groups.as_slice() {
            [prefix, code, _, ..] if matches!(*prefix, "8" | "+7" | "7") => Some(code.to_string()),
            [code, _, ..] if !code.starts_with('+') && code.len() != 11 => Some(code.to_string()),
            _ => None,
        }
    };
    written
        .map(|code| code.chars().filter(char::is_ascii_digit).count())
        .filter(|len| (3..=5).contains(len))
        .and_then(|len| u8::try_from(len).ok())
        .unwrap_or(3)
}

/// Two writings of one number are one phone: grouping is how it is shown, not what it is.
impl PartialEq for Phone {
    fn eq(&self, other: &Phone) -> bool {
        self.number == other.number && self.extension == other.extension
    }
}

impl Eq for Phone {}

impl std::hash::Hash for Phone {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.number.hash(state);
        self.extension.hash(state);
    }
}

impl Serialize for Phone {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.stored())
    }
}

impl<'de> Deserialize<'de> for Phone {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Phone, D::Error> {
        let text = String::deserialize(deserializer)?;
        Phone::from_stored(&text)
            .ok_or_else(|| serde::de::Error::custom(format!("not a stored phone: {text:?}")))
    }
}

impl fmt::Display for Phone {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.display())
    }
}

/// An email address of plausible form, stored lower-cased in its domain.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Email(String);

impl Email {
    pub fn parse(text: &str) -> Result<Email, FieldError> {
        let text = text.trim();
        if text.chars().count() > MAX_EMAIL {
            return Err(FieldError::TooLong(MAX_EMAIL));
        }
        let address: email_address::EmailAddress =
            text.parse().map_err(|_| FieldError::EmailMalformed)?;
        let domain = address.domain();
        let plausible_domain = domain.contains('.')
            && !domain.starts_with('.')
            && !domain.ends_with('.')
            && !domain.starts_with('[');
        if !plausible_domain || text.chars().any(char::is_whitespace) {
            return Err(FieldError::EmailMalformed);
        }
        Ok(Email(format!(
            "{}@{}",
            address.local_part(),
            domain.to_lowercase()
        )))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Email {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A school class: a grade 1–11 and a Cyrillic letter, shown as `7В`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct SchoolClass {
    pub grade: u8,
    pub letter: char,
}

impl SchoolClass {
    /// `5А`, `11б`, `7 В`, `7-в` → `7В`.
    pub fn parse(text: &str) -> Result<SchoolClass, FieldError> {
        if text.chars().count() > MAX_CLASS {
            return Err(FieldError::TooLong(MAX_CLASS));
        }
        let compact: String = text
            .chars()
            .filter(|c| !c.is_whitespace() && *c != '-')
            .collect();
        let digits: String = compact.chars().take_while(char::is_ascii_digit).collect();
        let rest: Vec<char> = compact.chars().skip(digits.chars().count()).collect();
        let grade: u8 = digits.parse().map_err(|_| FieldError::ClassMalformed)?;
        if !(1..=11).contains(&grade) || digits.starts_with('0') {
            return Err(FieldError::ClassMalformed);
        }
        match rest.as_slice() {
            [letter] if is_cyrillic_letter(*letter) => Ok(SchoolClass {
                grade,
                letter: letter.to_uppercase().next().unwrap_or(*letter),
            }),
            [letter] => match cyrillic_twin(*letter) {
                Some(letter) => Ok(SchoolClass { grade, letter }),
                None => Err(FieldError::ClassMalformed),
            },
            _ => Err(FieldError::ClassMalformed),
        }
    }
}

impl fmt::Display for SchoolClass {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}{}", self.grade, self.letter)
    }
}

/// The Cyrillic capital a Latin letter looks like (`5A` typed on the wrong layout is `5А`).
fn cyrillic_twin(c: char) -> Option<char> {
    const LATIN: &str = "ABCEHKMOPTXY";
    const CYRILLIC: &str = "АВСЕНКМОРТХУ";
    let upper = c.to_ascii_uppercase();
    let at = LATIN.chars().position(|latin| latin == upper)?;
    CYRILLIC.chars().nth(at)
}

fn is_cyrillic_letter(c: char) -> bool {
    matches!(c, 'А'..='я' | 'Ё' | 'ё')
}

/// A text staff typed that is longer than its field allows.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("{}", tr!("field_error.text_too_long", field = .field, given = .given, max = .max))]
pub struct TooLong {
    pub field: &'static str,
    pub max: usize,
    pub given: usize,
}

/// Refuses `text` (trimmed) when it holds more than `max` characters.
pub fn bounded(field: &'static str, text: &str, max: usize) -> Result<(), TooLong> {
    let text = text.trim();
    if exceeds(text, max) {
        Err(TooLong {
            field,
            max,
            given: text.chars().count(),
        })
    } else {
        Ok(())
    }
}

/// A required one-line text: trimmed, inner runs of spaces folded, bounded.
pub fn required_line(text: &str, max: usize) -> Result<String, FieldError> {
    let folded = text.split_whitespace().collect::<Vec<_>>().join(" ");
    if folded.is_empty() {
        return Err(FieldError::Required);
    }
    if folded.chars().count() > max {
        return Err(FieldError::TooLong(max));
    }
    Ok(folded)
}

/// Most words a caller's name has (a double surname, a name and a patronymic, «оглы»…).
pub const MAX_NAME_WORDS: usize = 6;

/// A caller's name as the form takes it: spaces folded, bounded, letters only (with `-`, `'`,
/// `.` of initials and brackets), at most `MAX_NAME_WORDS` words — digits or a sentence
/// typed into the name are refused, the operator meant another field.
pub fn person_name(text: &str) -> Result<String, FieldError> {
    let name = required_line(text, MAX_NAME)?;
    if name.chars().any(|c| c.is_numeric()) {
        return Err(FieldError::NameDigits);
    }
    let letter_like = |c: char| c.is_alphabetic() || " -'’.()".contains(c);
    if !name.chars().all(letter_like) || name.split(' ').count() > MAX_NAME_WORDS {
        return Err(FieldError::NameLikeText);
    }
    if !name.chars().any(char::is_alphabetic) {
        return Err(FieldError::NameLikeText);
    }
    Ok(name)
}

/// A required multi-line text: trailing spaces trimmed, bounded.
pub fn required_text(text: &str, max: usize) -> Result<String, FieldError> {
    let trimmed = text.trim();
    if trimmed.is_empty() {
        return Err(FieldError::Required);
    }
    if trimmed.chars().count() > max {
        return Err(FieldError::TooLong(max));
    }
    Ok(trimmed.to_string())
}

/// Makes untrusted text safe to draw: drops escape sequences and what `is_unsafe_char`
/// names. Newlines (and the line and paragraph separators, as newlines) survive only in
/// multi-line text; tabs become spaces.
/// Reads at most `max_chars` characters of the input, so a huge paste costs little.
pub fn sanitize(text: &str, multiline: bool, max_chars: usize) -> String {
    let mut count = 0;
    let unchanged = text.chars().all(|c| {
        count += 1;
        count <= max_chars && !is_unsafe_char(c)
    });
    if unchanged {
        // nothing to drop or replace: the common case, at the cost of one look at each char
        return text.to_string();
    }
    let mut out = String::with_capacity(text.len().min(max_chars * 4));
    let mut chars = text.chars().peekable();
    let mut kept = 0;
    while let Some(c) = chars.next() {
        if kept >= max_chars {
            break;
        }
        match c {
            '\u{1b}' => skip_escape_sequence(&mut chars),
            '\r' => {
                if chars.peek() != Some(&'\n') {
                    out.push(if multiline { '\n' } else { ' ' });
                    kept += 1;
                }
            }
            '\n' | '\u{2028}' | '\u{2029}' => {
                out.push(if multiline { '\n' } else { ' ' });
                kept += 1;
            }
            '\t' => {
                out.push(' ');
                kept += 1;
            }
            c if is_unsafe_char(c) => {}
            c => {
                out.push(c);
                kept += 1;
            }
        }
    }
    out
}

/// True when `text` holds more than `max_chars` characters after cleaning would start dropping.
pub fn exceeds(text: &str, max_chars: usize) -> bool {
    text.chars().nth(max_chars).is_some()
}

/// The text as the command line prints it, by the rule of `sanitize`: escape sequences,
/// controls and the characters of `is_unsafe_char` dropped, line breaks and tabs kept. A CR
/// stays only before an LF (a CSV ends its records so); any other CR, and the line and
/// paragraph separators, become a line break (a lone CR would let a line overwrite what came
/// before it).
pub fn printable(text: &str) -> Cow<'_, str> {
    let harmless = |c: char| c == '\n' || c == '\t' || !is_unsafe_char(c);
    if text.chars().all(harmless) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\u{1b}' => skip_escape_sequence(&mut chars),
            '\r' if chars.peek() == Some(&'\n') => out.push('\r'),
            '\r' | '\u{2028}' | '\u{2029}' => out.push('\n'),
            c if harmless(c) => out.push(c),
            _ => {}
        }
    }
    Cow::Owned(out)
}

/// Characters that must not reach a terminal from untrusted text: controls (C0, DEL, C1),
/// the bidi controls that reorder what follows (so a line reads other than it is), the line
/// and paragraph separators, and the invisible zero-width space and byte-order mark.
pub fn is_unsafe_char(c: char) -> bool {
    c.is_control() // C0, DEL and C1
        || matches!(
            c,
            '\u{202a}'..='\u{202e}'
                | '\u{2066}'..='\u{2069}'
                | '\u{200e}'
                | '\u{200f}'
                | '\u{061c}'
                | '\u{2028}'
                | '\u{2029}'
                | '\u{200b}'
                | '\u{feff}'
        )
}

/// Skips the rest of an escape sequence whose ESC was just read (CSI, OSC, or a 2-byte one).
fn skip_escape_sequence(chars: &mut std::iter::Peekable<std::str::Chars<'_>>) {
    match chars.peek() {
        Some('[') => {
            chars.next();
            // parameters and intermediates, then one final byte in @..~
            for c in chars.by_ref() {
                if ('@'..='~').contains(&c) {
                    break;
                }
            }
        }
        Some(']') | Some('P') | Some('_') | Some('^') => {
            chars.next();
            // string until BEL or ST (ESC \)
            while let Some(c) = chars.next() {
                if c == '\u{7}' {
                    break;
                }
                if c == '\u{1b}' {
                    if chars.peek() == Some(&'\\') {
                        chars.next();
                    }
                    break;
                }
            }
        }
        Some(_) => {
            chars.next();
        }
        None => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn phones_in_usual_russian_writings_normalise_to_e164() {
        for text in [
            "8 912 345-67-89",
            "+7 (912) 345 67 89",
            "89123456789",
            "9123456789",
            "+79123456789",
            "8(912)345-67-89",
        ] {
            let phone = Phone::parse(text).unwrap_or_else(|e| panic!("{text}: {e}"));
            assert_eq!(phone.e164(), "+79123456789", "{text}");
            assert_eq!(phone.display(), "+7 912 345-67-89");
        }
    }

    #[test]
    fn city_numbers_are_phones_too() {
        assert_eq!(
            Phone::parse("8 (495) 123-45-67").map(|p| p.e164().to_string()),
            Ok("+74951234567".to_string())
        );
    }

    #[test]
    fn a_towns_code_of_four_or_five_digits_is_grouped_as_written() {
        let shown = |text: &str| Phone::parse(text).map(|p| p.display());
        assert_eq!(shown("8 (3452) 12-34-56"), Ok("+7 3452 12-34-56".into()));
        assert_eq!(shown("8 3452 12-34-56"), Ok("+7 3452 12-34-56".into()));
        assert_eq!(shown("+7 (34342) 1-23-45"), Ok("+7 34342 1-23-45".into()));
        assert_eq!(shown("8 (812) 123-45-67"), Ok("+7 812 123-45-67".into()));
        assert_eq!(shown("83452123456"), Ok("+7 345 212-34-56".into()));
        // a mobile number is always 3 + 7, however it was typed
        assert_eq!(shown("8 (9123) 45-67-89"), Ok("+7 912 345-67-89".into()));
    }

    #[test]
    fn toll_free_numbers_and_extensions_are_kept() {
        let phone = Phone::parse("8 800 555-35-35").unwrap();
        assert_eq!(phone.e164(), "+78005553535");
        assert_eq!(phone.display(), "+7 800 555-35-35");
        for text in [
            "8 (495) 123-45-67 доб. 12",
            "8 495 123 45 67 ext 12",
            "+74951234567 x12",
        ] {
            let phone = Phone::parse(text).unwrap_or_else(|e| panic!("{text}: {e}"));
            assert_eq!(phone.e164(), "+74951234567", "{text}");
            assert_eq!(phone.extension(), Some("12"), "{text}");
            assert_eq!(phone.display(), "+7 495 123-45-67 доб. 12", "{text}");
        }
        assert_eq!(
            Phone::parse("8 495 123-45-67 доб. двенадцать"),
            Err(FieldError::PhoneExtension)
        );
    }

    #[test]
    fn each_wrong_number_is_told_what_is_wrong_with_it() {
        assert_eq!(
            Phone::parse("8 912 345-67-8"),
            Err(FieldError::PhoneDigits(9))
        );
        assert_eq!(Phone::parse("12345"), Err(FieldError::PhoneDigits(5)));
        assert_eq!(
            Phone::parse("+7 912 345-67-899"),
            Err(FieldError::PhoneDigits(11))
        );
        assert_eq!(
            Phone::parse("+1 212 555 0100"),
            Err(FieldError::PhoneNotRussian)
        );
        assert_eq!(
            Phone::parse("позвоните маме"),
            Err(FieldError::PhoneLetters)
        );
        assert_eq!(
            Phone::parse("+7 000 000 00 00"),
            Err(FieldError::PhoneCode("000".into()))
        );
        // ten digits are never told that ten are needed
        let ten = FieldError::PhoneCode("123".into()).to_string();
        assert!(!ten.contains("нужно 10"), "{ten}");
    }

    #[test]
    fn a_phone_is_kept_as_one_string_and_read_back_whole() {
        for text in [
            "8 912 345-67-89",
            "8 (3452) 12-34-56 доб. 7",
            "8 800 555-35-35",
        ] {
            let phone = Phone::parse(text).unwrap();
            let back = Phone::from_stored(&phone.stored()).unwrap();
            assert_eq!(back.display(), phone.display(), "{text}");
        }
        // what older stores kept
        let old = Phone::from_stored("+79123456789").unwrap();
        assert_eq!(old.display(), "+7 912 345-67-89");
        assert_eq!(
            Phone::parse("8 (3452) 12-34-56").unwrap().stored(),
            "+73452123456;code=4"
        );
        assert!(Phone::from_stored("+7912;code=9").is_none());
    }

    #[test]
    fn things_that_are_not_phones_are_refused() {
        for text in [
            "",
            "12345",
            "позвоните маме",
            "8 912 345-67-8",
            "8 912 345-67-899",
            "+1 212 555 0100",
            "+7 000 000 00 00",
        ] {
            assert!(Phone::parse(text).is_err(), "{text} accepted");
        }
    }

    #[test]
    fn classes_are_grade_and_cyrillic_letter() {
        let parse = |t: &str| SchoolClass::parse(t).map(|c| c.to_string());
        assert_eq!(parse("5А"), Ok("5А".into()));
        assert_eq!(parse("11б"), Ok("11Б".into()));
        assert_eq!(parse("7 В"), Ok("7В".into()));
        assert_eq!(parse(" 7-в "), Ok("7В".into()));
        // a Latin lookalike is read as the Cyrillic letter it looks like
        assert_eq!(parse("5A"), Ok("5А".into()));
        assert_eq!(parse("11B"), Ok("11В".into()));
        assert_eq!(parse("3c"), Ok("3С".into()));
        assert_eq!(SchoolClass::parse("5А"), SchoolClass::parse("5A"));
        assert!(SchoolClass::parse("5D").is_err());
        for bad in ["12А", "0А", "05А", "5D", "5", "А", "5АБ", "", "пятый"] {
            assert_eq!(parse(bad), Err(FieldError::ClassMalformed), "{bad}");
        }
    }

    #[test]
    fn emails_must_look_plausible() {
        assert_eq!(
            Email::parse(" Ivanova@School167.RU ").map(|e| e.to_string()),
            Ok("Ivanova@school167.ru".into())
        );
        assert!(Email::parse("мама@школа.рф").is_ok());
        for bad in ["ivanova", "a@b", "a@@b.ru", "a b@c.ru", "@c.ru", "a@.ru"] {
            assert!(Email::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn required_line_folds_spaces_and_bounds_length() {
        assert_eq!(
            required_line("  Петрова   Анна ", MAX_NAME),
            Ok("Петрова Анна".into())
        );
        assert_eq!(required_line("   ", MAX_NAME), Err(FieldError::Required));
        assert_eq!(
            required_line(&"я".repeat(MAX_NAME + 1), MAX_NAME),
            Err(FieldError::TooLong(MAX_NAME))
        );
    }

    #[test]
    fn a_name_is_letters_not_digits_or_a_sentence() {
        assert_eq!(
            person_name(" Салтыков-Щедрин  Михаил Евграфович "),
            Ok("Салтыков-Щедрин Михаил Евграфович".into())
        );
        assert_eq!(person_name("Иванова А. С."), Ok("Иванова А. С.".into()));
        assert_eq!(person_name("O'Brien Mary"), Ok("O'Brien Mary".into()));
        assert_eq!(person_name("89123456789"), Err(FieldError::NameDigits));
        assert_eq!(person_name("Петрова 5А"), Err(FieldError::NameDigits));
        let pasted = "Не открывается электронный дневник у ребёнка, пишет ошибку входа, \
                      пароль не подходит уже второй день, учитель не отвечает на письма";
        assert_eq!(person_name(pasted), Err(FieldError::NameLikeText));
        assert_eq!(
            person_name("petrova@mail.ru"),
            Err(FieldError::NameLikeText)
        );
        assert_eq!(person_name("---"), Err(FieldError::NameLikeText));
    }

    #[test]
    fn a_bounded_text_names_its_field_and_limit() {
        assert_eq!(bounded("Причина отмены", "  дубликат  ", 8), Ok(()));
        let error = bounded("Причина отмены", &"ж".repeat(9), 8).unwrap_err();
        assert_eq!(
            error.to_string(),
            "слишком длинный текст в поле «Причина отмены»: 9 знаков, можно не больше 8"
        );
    }

    #[test]
    fn sanitize_drops_escape_sequences_and_controls() {
        let pasted = "Петрова\u{1b}[31m Анна\u{7}\u{1b}]0;title\u{7}\u{202e}\u{9b}!";
        assert_eq!(sanitize(pasted, false, 100), "Петрова Анна!");
        assert_eq!(sanitize("a\r\nb\tc", true, 100), "a\nb c");
        assert_eq!(sanitize("a\r\nb", false, 100), "a b");
    }

    #[test]
    fn sanitize_drops_separators_and_invisible_characters() {
        let pasted = "Петрова\u{2028}Анна\u{2029}\u{200b}\u{feff}\u{61c}\u{200e}!";
        assert_eq!(sanitize(pasted, true, 100), "Петрова\nАнна\n!");
        assert_eq!(sanitize(pasted, false, 100), "Петрова Анна !");
        for c in [
            '\u{2028}', '\u{2029}', '\u{200b}', '\u{feff}', '\u{61c}', '\u{7f}', '\u{85}',
        ] {
            assert!(is_unsafe_char(c), "U+{:04X}", u32::from(c));
        }
        for c in ['а', '№', '—', '«', ' ', '\u{a0}', '▁'] {
            assert!(!is_unsafe_char(c), "U+{:04X}", u32::from(c));
        }
    }

    #[test]
    fn printable_keeps_lines_tabs_and_crlf_and_drops_the_rest() {
        assert!(matches!(printable("№124\tПетрова\n"), Cow::Borrowed(_)));
        let hostile = "\u{1b}[31mКрасный\u{1b}[0m\u{7}\u{9b}2J\u{202e}x\u{2028}y\u{1b}]0;t\u{7}!";
        assert_eq!(printable(hostile), "Красный2Jx\ny!");
        assert_eq!(printable("a;b\r\nc\td\n"), "a;b\r\nc\td\n");
        assert_eq!(printable("100%\rвзломано"), "100%\nвзломано");
        assert_eq!(printable("\u{feff}текст\u{85}"), "текст");
    }

    #[test]
    fn sanitize_reads_no_more_than_asked() {
        let huge = "ж".repeat(1_000_000);
        assert_eq!(sanitize(&huge, true, 10).chars().count(), 10);
        assert!(exceeds(&huge, 10));
        assert!(!exceeds("abc", 3));
    }
}
