//! The service's queues, categories and deadline spans, as read from `policy.toml`.

use super::hours::{AfterHours, HoursError, HoursFile, ServiceHours};
use super::retention::{RetentionError, RetentionFile};
use super::time::Timestamp;
use serde::{Deserialize, Serialize};
use thiserror::Error;

use super::deadline::DeadlinePolicy;
use super::request::Category;
use super::staff::Role;

/// The policy shipped with pult, copied into a new data directory.
pub const DEFAULT_POLICY_TOML: &str = include_str!("../../assets/policy.toml");

/// A specialist queue (§2.2): requests routed to it wait for someone with its role.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct QueueDef {
    pub key: String,
    pub name: String,
    pub short: String,
    pub role: Role,
}

/// A request type of Appendix 2 and the queue it goes to by default (§3.1.3).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CategoryDef {
    pub key: Category,
    pub label: String,
    pub short: String,
    pub queue: String,
}

/// Who the service is to the public: its name and the hotline phone (§3.1.1), shown on the
/// website form and in the button for the school's site.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ServiceInfo {
    pub name: String,
    pub hotline: String,
}

/// The hotline shipped in `assets/policy.toml`: a school that has not put its own in yet.
pub const PLACEHOLDER_HOTLINE: &str = "8 (800) 000-00-00";

impl Default for ServiceInfo {
    fn default() -> ServiceInfo {
        ServiceInfo {
            name: "Служба сопровождения процесса обучения с использованием дистанционных \
                   технологий"
                .into(),
            hotline: PLACEHOLDER_HOTLINE.into(),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Policy {
    /// A policy written before the website form has no `[service]`: the shipped one.
    #[serde(default)]
    pub service: ServiceInfo,
    pub deadlines: DeadlinePolicy,
    pub queues: Vec<QueueDef>,
    pub categories: Vec<CategoryDef>,
    /// The service's hours (`[hours]`); without them every deadline counts the clock.
    #[serde(default)]
    pub hours: Option<HoursFile>,
    /// How long personal data is kept (`[retention]`); without it nothing is destroyed.
    #[serde(default)]
    pub retention: Option<RetentionFile>,
}

#[derive(Debug, Error)]
pub enum PolicyError {
    #[error("{}", tr!("policy.syntax", error = .0))]
    Syntax(#[from] toml::de::Error),
    #[error("{}", tr!("policy.no_queues"))]
    NoQueues,
    #[error("{}", tr!("policy.too_many_queues"))]
    TooManyQueues,
    #[error("{}", tr!("policy.duplicate_queue", queue = .0))]
    DuplicateQueue(String),
    #[error("{}", tr!("policy.unknown_queue", category = .category, queue = .queue))]
    UnknownQueue { category: String, queue: String },
    #[error("{}", tr!("policy.duplicate_category", category = .0))]
    DuplicateCategory(String),
    #[error("{}", tr!("policy.missing_category", category = .0))]
    MissingCategory(String),
    #[error("{}", tr!("policy.bad_deadlines"))]
    BadDeadlines,
    #[error("{0}")]
    Hours(#[from] HoursError),
    #[error("{0}")]
    Retention(#[from] RetentionError),
}

impl Policy {
    pub fn parse(text: &str) -> Result<Policy, PolicyError> {
        let policy: Policy = toml::from_str(text)?;
        policy.check()?;
        Ok(policy)
    }

    /// The service's hours, when the policy has them (checked by `parse`).
    pub fn service_hours(&self) -> Option<ServiceHours> {
        self.hours.as_ref().and_then(|file| file.hours().ok())
    }

    /// The instant `minutes` after `start` for the deadline `name` (`route`, `take`,
    /// `resolve`), and whether it is in service time: it is where the policy's hours count
    /// that deadline, unless the span would cross a year the production calendar only
    /// predicts, which keeps the clock. `hours`: the policy's, built once.
    pub fn due(
        &self,
        hours: Option<&ServiceHours>,
        name: &str,
        start: Timestamp,
        minutes: i64,
    ) -> (Timestamp, bool) {
        let counted = self.hours.as_ref().is_some_and(|file| file.counts(name));
        hours
            .filter(|_| counted)
            .and_then(|hours| hours.add(start, minutes))
            .filter(|reckoned| reckoned.covered)
            .map_or((start.plus_minutes(minutes), false), |reckoned| {
                (reckoned.value, true)
            })
    }

    /// The year the production calendar only predicts that put a running deadline of
    /// `request` on the clock: counted from its start, its span would reach into that year.
    /// `hours`: the policy's, built once.
    pub fn clock_year(
        &self,
        hours: &ServiceHours,
        request: &super::request::Request,
    ) -> Option<i32> {
        use super::deadline::TimerKind;
        use super::request::Status;
        let file = self.hours.as_ref()?;
        let spans = self.deadlines;
        let running = [
            (
                TimerKind::Route,
                Some(request.received_at).filter(|_| request.status == Status::New),
                spans.route_minutes,
            ),
            (
                TimerKind::Take,
                request
                    .routed_at
                    .filter(|_| request.status == Status::Routed),
                spans.take_minutes,
            ),
            (
                TimerKind::Resolve,
                Some(request.received_at).filter(|_| request.status.is_open()),
                spans.resolve_hours * 60,
            ),
        ];
        running
            .into_iter()
            .filter(|(kind, _, _)| file.counts_timer(*kind))
            .filter_map(|(_, start, minutes)| {
                let start = start?;
                let reckoned = hours.add(start, minutes)?;
                if reckoned.covered {
                    return None;
                }
                let from = chrono::Datelike::year(&hours.local(start));
                (from..=from + 1).find(|year| !hours.knows_year(*year))
            })
            .min()
    }

    /// How much longer the pending extension of `request` asks for, in minutes: in the hours
    /// the service works where resolve-by counts them (builds the hours: call it once).
    pub fn extension_asked_minutes(&self, request: &super::request::Request) -> Option<i64> {
        let extension = request.extension.as_ref()?;
        let on_the_clock = request.extension_asked_ms()? / 60_000;
        let counted = self
            .hours
            .as_ref()
            .is_some_and(|file| file.counts("resolve"));
        let asked = self
            .service_hours()
            .filter(|_| counted)
            .map(|hours| hours.between(request.deadlines.resolve_by, extension.until))
            .filter(|asked| asked.covered);
        Some(asked.map_or(on_the_clock, |asked| asked.value / 60_000))
    }

    /// What a request of `category` made at `at` is told when the service is closed then
    /// (None: it is open, or the policy keeps no hours). `hours`: the policy's, built once.
    pub fn after_hours(
        &self,
        hours: &ServiceHours,
        category: Category,
        at: Timestamp,
    ) -> Option<AfterHours> {
        let opens = hours.opens_at(at).filter(|opens| *opens > at)?;
        self.after_hours_until(hours, category, opens)
    }

    /// The same, known already that the service is closed until `opens`.
    pub fn after_hours_until(
        &self,
        hours: &ServiceHours,
        category: Category,
        opens: Timestamp,
    ) -> Option<AfterHours> {
        let file = self.hours.as_ref()?;
        let emergency = if category == Category::Psych {
            file.emergency.clone()
        } else {
            Vec::new()
        };
        Some(AfterHours {
            opens: hours.local(opens),
            emergency,
        })
    }

    fn check(&self) -> Result<(), PolicyError> {
        if let Some(hours) = &self.hours {
            hours.hours()?;
        }
        if let Some(retention) = &self.retention {
            retention.check()?;
        }
        let d = &self.deadlines;
        if d.route_minutes <= 0
            || d.take_minutes <= 0
            || d.resolve_hours <= 0
            || !(1..=99).contains(&d.due_soon_percent)
        {
            return Err(PolicyError::BadDeadlines);
        }
        if self.queues.is_empty() {
            return Err(PolicyError::NoQueues);
        }
        if self.queues.len() > 9 {
            return Err(PolicyError::TooManyQueues);
        }
        for (index, queue) in self.queues.iter().enumerate() {
            if self.queues[..index].iter().any(|q| q.key == queue.key) {
                return Err(PolicyError::DuplicateQueue(queue.key.clone()));
            }
        }
        for (index, category) in self.categories.iter().enumerate() {
            let key = category.key.key().to_string();
            if self.categories[..index]
                .iter()
                .any(|c| c.key == category.key)
            {
                return Err(PolicyError::DuplicateCategory(key));
            }
            if self.queue(&category.queue).is_none() {
                return Err(PolicyError::UnknownQueue {
                    category: key,
                    queue: category.queue.clone(),
                });
            }
        }
        for category in Category::ALL {
            if self.category(category).is_none() {
                return Err(PolicyError::MissingCategory(category.key().to_string()));
            }
        }
        Ok(())
    }

    pub fn queue(&self, key: &str) -> Option<&QueueDef> {
        self.queues.iter().find(|queue| queue.key == key)
    }

    /// The queue numbered `number` (1-based) on the board.
    pub fn queue_by_number(&self, number: usize) -> Option<&QueueDef> {
        number
            .checked_sub(1)
            .and_then(|index| self.queues.get(index))
    }

    pub fn queue_number(&self, key: &str) -> Option<usize> {
        self.queues
            .iter()
            .position(|queue| queue.key == key)
            .map(|index| index + 1)
    }

    pub fn category(&self, key: Category) -> Option<&CategoryDef> {
        self.categories.iter().find(|category| category.key == key)
    }

    /// The queue a category goes to by default (§3.1.3).
    pub fn suggested_queue(&self, category: Category) -> Option<&QueueDef> {
        self.category(category)
            .and_then(|def| self.queue(&def.queue))
    }

    pub fn queue_short<'a>(&'a self, key: &'a str) -> &'a str {
        match translated().then(|| shipped_queue(key)).flatten() {
            Some((_, short)) => short,
            None => self.queue(key).map(|q| q.short.as_str()).unwrap_or(key),
        }
    }

    /// A queue's full name, as the policy gives it (in another language than Russian, the
    /// shipped queues' names from the catalogue).
    pub fn queue_name<'a>(&'a self, key: &'a str) -> &'a str {
        match translated().then(|| shipped_queue(key)).flatten() {
            Some((name, _)) => name,
            None => self.queue(key).map(|q| q.name.as_str()).unwrap_or(key),
        }
    }

    pub fn category_short(&self, key: Category) -> &str {
        if translated() {
            return category_short(key);
        }
        self.category(key).map(|c| c.short.as_str()).unwrap_or("?")
    }

    /// A type's label as the policy gives it (in another language, the catalogue's).
    pub fn category_label(&self, key: Category) -> &str {
        if translated() {
            return key.label();
        }
        self.category(key)
            .map(|c| c.label.as_str())
            .unwrap_or(key.label())
    }
}

/// The policy is written in Russian: its own words show unless pult speaks another language.
fn translated() -> bool {
    crate::lang::current() != crate::lang::Lang::Ru
}

/// The name and short name of a queue pult ships (`assets/policy.toml`), in the catalogue.
fn shipped_queue(key: &str) -> Option<(&'static str, &'static str)> {
    match key {
        "ejournal" => Some((tr!("queue.ejournal"), tr!("queue.short.ejournal"))),
        "tech" => Some((tr!("queue.tech"), tr!("queue.short.tech"))),
        "psych" => Some((tr!("queue.psych"), tr!("queue.short.psych"))),
        "head" => Some((tr!("queue.head"), tr!("queue.short.head"))),
        _ => None,
    }
}

fn category_short(key: Category) -> &'static str {
    match key {
        Category::Technical => tr!("category.short.technical"),
        Category::Ejournal => tr!("category.short.ejournal"),
        Category::LessonQuality => tr!("category.short.lesson_quality"),
        Category::Psych => tr!("category.short.psych"),
        Category::Other => tr!("category.short.other"),
        Category::Equipment => tr!("category.short.equipment"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shipped_policy_parses_with_the_regulations_routing() {
        let policy = Policy::parse(DEFAULT_POLICY_TOML).expect("shipped policy");
        let route = |c| policy.suggested_queue(c).map(|q| q.key.as_str());
        assert_eq!(route(Category::Technical), Some("tech"));
        assert_eq!(route(Category::Ejournal), Some("ejournal"));
        assert_eq!(route(Category::LessonQuality), Some("head"));
        assert_eq!(route(Category::Equipment), Some("head"));
        assert_eq!(route(Category::Psych), Some("psych"));
        assert_eq!(route(Category::Other), Some("head"));
        let order: Vec<Category> = policy.categories.iter().map(|c| c.key).collect();
        assert_eq!(
            order,
            [
                Category::Technical,
                Category::Ejournal,
                Category::LessonQuality,
                Category::Psych,
                Category::Other,
                Category::Equipment
            ]
        );
        assert_eq!(policy.deadlines, DeadlinePolicy::default());
    }

    #[test]
    fn a_category_routed_to_a_missing_queue_is_refused() {
        let broken = DEFAULT_POLICY_TOML.replace("queue = \"psych\"", "queue = \"nurse\"");
        let error = Policy::parse(&broken).expect_err("must refuse");
        assert!(error.to_string().contains("nurse"), "{error}");
    }

    #[test]
    fn the_keys_of_types_and_roles_are_the_ones_serde_writes() {
        use crate::domain::request::CallerRole;
        for category in Category::ALL {
            let written = serde_json::to_value(category).expect("json");
            assert_eq!(written.as_str(), Some(category.key()));
            assert_eq!(Category::from_key(category.key()), Some(category));
        }
        for role in CallerRole::ALL {
            let written = serde_json::to_value(role).expect("json");
            assert_eq!(written.as_str(), Some(role.key()));
            assert_eq!(CallerRole::from_key(role.key()), Some(role));
        }
        assert_eq!(Category::from_key("nurse"), None);
    }

    #[test]
    fn zero_deadlines_are_refused() {
        let broken = DEFAULT_POLICY_TOML.replace("route_minutes = 30", "route_minutes = 0");
        assert!(matches!(
            Policy::parse(&broken),
            Err(PolicyError::BadDeadlines)
        ));
    }
}
