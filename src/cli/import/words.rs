//! The words an import file uses: its columns' headings (Appendix 2's, pult's own in both
//! languages, the usual English ones), the caller's role, the type of request, the channel,
//! and the received time as a spreadsheet writes it.

use chrono::{DateTime, Local, NaiveDateTime, TimeZone};

use crate::domain::call_form::Field;
use crate::domain::policy::Policy;
use crate::domain::request::{CallerRole, Category, Channel};
use crate::domain::time::Timestamp;
use crate::lang::{self, Lang};

/// A column of the journal pult knows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Column {
    /// The date the call was received, perhaps with its time.
    When,
    /// The time of day, when the date has a column of its own.
    Time,
    Name,
    Role,
    Class,
    Category,
    Description,
    Phone,
    Email,
    /// One column for the phone or the email, or both.
    Contact,
    Channel,
}

/// Headings as `fold` leaves them: lower case, `ё` as `е`, letters and digits only.
const HEADINGS: &[(Column, &[&str])] = &[
    (
        Column::When,
        &[
            "датаивремяобращения",
            "датаивремяпоступления",
            "датаивремя",
            "датавремя",
            "дата",
            "датаобращения",
            "датапоступления",
            "получено",
            "поступило",
            "receivedat",
            "received",
            "date",
            "dateandtime",
            "datetime",
            "when",
        ],
    ),
    (
        Column::Time,
        &["время", "времяобращения", "времяпоступления", "time"],
    ),
    (
        Column::Name,
        &[
            "фио",
            "фиообратившегося",
            "обратившийся",
            "ктообратился",
            "callername",
            "caller",
            "name",
            "fullname",
        ],
    ),
    (
        Column::Role,
        &["роль", "рольобратившегося", "кто", "role", "callerrole"],
    ),
    (Column::Class, &["класс", "class", "grade"]),
    (
        Column::Category,
        &[
            "тип",
            "типобращения",
            "категория",
            "category",
            "type",
            "requesttype",
        ],
    ),
    (
        Column::Description,
        &[
            "описание",
            "описаниепроблемы",
            "суть",
            "сутьобращения",
            "description",
            "problem",
        ],
    ),
    (Column::Phone, &["телефон", "phone", "phonenumber"]),
    (
        Column::Email,
        &[
            "почта",
            "email",
            "электроннаяпочта",
            "адресэлектроннойпочты",
            "emailaddress",
        ],
    ),
    (
        Column::Contact,
        &[
            "телефонemail",
            "телефонпочта",
            "телефонилипочта",
            "телефонилиemail",
            "контакт",
            "контакты",
            "phoneemail",
            "phoneoremail",
            "contact",
        ],
    ),
    (Column::Channel, &["канал", "channel"]),
];

/// Lower case, `ё` as `е`, letters and digits only: `Телефон/e-mail` is `телефонemail`.
pub fn fold(text: &str) -> String {
    text.chars()
        .filter(|c| c.is_alphanumeric())
        .flat_map(char::to_lowercase)
        .map(|c| if c == 'ё' { 'е' } else { c })
        .collect()
}

/// The texts `make` gives in every language pult speaks.
fn in_every_language(make: impl Fn() -> &'static str) -> Vec<String> {
    Lang::ALL
        .iter()
        .map(|lang| fold(lang::speaking(*lang, &make)))
        .collect()
}

/// What the words of an import file mean.
pub struct Words {
    headings: Vec<(String, Column)>,
    roles: Vec<(String, CallerRole)>,
    categories: Vec<(String, Category)>,
    channels: Vec<(String, Channel)>,
}

impl Words {
    /// Pult's own words in both languages, and the school's names of the types (`policy`).
    pub fn new(policy: &Policy) -> Words {
        let mut headings: Vec<(String, Column)> = HEADINGS
            .iter()
            .flat_map(|(column, names)| names.iter().map(|name| (name.to_string(), *column)))
            .collect();
        for field in Field::ALL {
            let column = match field {
                Field::Name => Column::Name,
                Field::Role => Column::Role,
                Field::Class => Column::Class,
                Field::Category => Column::Category,
                Field::Description => Column::Description,
                Field::Phone => Column::Phone,
                Field::Email => Column::Email,
            };
            for label in in_every_language(|| field.label()) {
                headings.push((label, column));
            }
        }
        let mut roles: Vec<(String, CallerRole)> = [
            ("ученик", CallerRole::Student),
            ("ученица", CallerRole::Student),
            ("учащийся", CallerRole::Student),
            ("обучающийся", CallerRole::Student),
            ("student", CallerRole::Student),
            ("pupil", CallerRole::Student),
            ("учитель", CallerRole::Teacher),
            ("педагог", CallerRole::Teacher),
            ("преподаватель", CallerRole::Teacher),
            ("teacher", CallerRole::Teacher),
            ("родитель", CallerRole::Parent),
            ("законныйпредставитель", CallerRole::Parent),
            ("parent", CallerRole::Parent),
        ]
        .iter()
        .map(|(word, role)| (word.to_string(), *role))
        .collect();
        for role in CallerRole::ALL {
            roles.extend(
                in_every_language(|| role.label())
                    .into_iter()
                    .map(|w| (w, role)),
            );
        }
        let mut categories: Vec<(String, Category)> = Vec::new();
        for category in Category::ALL {
            let key = serde_json::to_value(category)
                .ok()
                .and_then(|value| value.as_str().map(fold));
            categories.extend(key.map(|key| (key, category)));
            categories.extend(
                in_every_language(|| category.label())
                    .into_iter()
                    .map(|word| (word, category)),
            );
        }
        for def in &policy.categories {
            categories.push((fold(&def.label), def.key));
            categories.push((fold(&def.short), def.key));
        }
        let channels = [
            ("phone", Channel::Phone),
            ("телефон", Channel::Phone),
            ("звонок", Channel::Phone),
            ("web", Channel::Web),
            ("сайт", Channel::Web),
            ("website", Channel::Web),
            ("other", Channel::Other),
            ("другое", Channel::Other),
            ("иное", Channel::Other),
        ]
        .iter()
        .map(|(word, channel)| (word.to_string(), *channel))
        .collect();
        Words {
            headings,
            roles,
            categories,
            channels,
        }
    }

    pub fn column(&self, heading: &str) -> Option<Column> {
        find(&self.headings, heading)
    }

    pub fn role(&self, text: &str) -> Option<CallerRole> {
        find(&self.roles, text)
    }

    pub fn category(&self, text: &str) -> Option<Category> {
        find(&self.categories, text)
    }

    pub fn channel(&self, text: &str) -> Option<Channel> {
        find(&self.channels, text)
    }
}

fn find<T: Copy>(known: &[(String, T)], text: &str) -> Option<T> {
    let folded = fold(text);
    if folded.is_empty() {
        return None;
    }
    known
        .iter()
        .find(|(word, _)| *word == folded)
        .map(|(_, value)| *value)
}

/// How spreadsheets and people write a moment without a zone: read in this computer's zone.
const LOCAL_FORMATS: [&str; 10] = [
    "%d.%m.%Y %H:%M:%S",
    "%d.%m.%Y %H:%M",
    "%d.%m.%y %H:%M:%S",
    "%d.%m.%y %H:%M",
    "%Y-%m-%d %H:%M:%S",
    "%Y-%m-%d %H:%M",
    "%Y-%m-%dT%H:%M:%S",
    "%Y-%m-%dT%H:%M",
    "%d.%m.%Y, %H:%M:%S",
    "%d.%m.%Y, %H:%M",
];

/// Why a received time could not be read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WhenError {
    /// Not a date with a time of day.
    Unreadable,
    /// A local time that does not exist (skipped by a change to summer time).
    NoSuchLocalTime,
}

/// A received time: RFC 3339 (`2026-11-18T07:15:00Z`, as `pult list --json` writes it), or a
/// date and a time of day in this computer's zone (`18.11.2026 10:15`, `2026-11-18 10:15`).
pub fn parse_when(text: &str) -> Result<Timestamp, WhenError> {
    let text = text.split_whitespace().collect::<Vec<_>>().join(" ");
    if let Ok(at) = DateTime::parse_from_rfc3339(&text) {
        return Ok(Timestamp(at.timestamp_millis()));
    }
    let naive = LOCAL_FORMATS
        .iter()
        .find_map(|format| NaiveDateTime::parse_from_str(&text, format).ok())
        .ok_or(WhenError::Unreadable)?;
    Local
        .from_local_datetime(&naive)
        .earliest()
        .map(|at| Timestamp(at.timestamp_millis()))
        .ok_or(WhenError::NoSuchLocalTime)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::policy::{Policy, DEFAULT_POLICY_TOML};

    fn shipped() -> Policy {
        Policy::parse(DEFAULT_POLICY_TOML).expect("shipped policy")
    }

    #[test]
    fn headings_in_either_language_and_with_any_punctuation_are_known() {
        let words = Words::new(&shipped());
        assert_eq!(words.column("ФИО обратившегося"), Some(Column::Name));
        assert_eq!(words.column(" Caller's full name "), Some(Column::Name));
        assert_eq!(words.column("Телефон / e-mail"), Some(Column::Contact));
        assert_eq!(words.column("Дата и время"), Some(Column::When));
        assert_eq!(words.column("Примечание"), None);
    }

    #[test]
    fn roles_and_types_are_read_as_written() {
        let words = Words::new(&shipped());
        assert_eq!(words.role("Родитель"), Some(CallerRole::Parent));
        assert_eq!(words.role("pupil"), Some(CallerRole::Student));
        assert_eq!(words.role("бабушка"), None);
        assert_eq!(words.category("Проблема с ЭЖД;"), Some(Category::Ejournal));
        assert_eq!(
            words.category("lesson_quality"),
            Some(Category::LessonQuality)
        );
    }

    #[test]
    fn times_are_read_in_the_usual_writings() {
        assert_eq!(
            parse_when("2026-11-18T07:15:00Z"),
            Ok(Timestamp(1_794_986_100_000))
        );
        assert!(parse_when("18.11.2026 10:15").is_ok());
        assert!(parse_when("2026-11-18  10:15").is_ok());
        assert_eq!(parse_when("18.11.2026"), Err(WhenError::Unreadable));
        assert_eq!(parse_when("вчера"), Err(WhenError::Unreadable));
    }
}
