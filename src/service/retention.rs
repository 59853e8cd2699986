//! Letting go: what the policy's `[retention]` has due, and destroying it, with the act of
//! destruction and the extract of the event log for those records (Roskomnadzor's order
//! No. 179) written for the admin into the data directory's `retention/` before anything goes.

use std::path::PathBuf;

use chrono::FixedOffset;
use serde::{Deserialize, Serialize};

use super::{Event, Outcome, Reply, Service, ServiceError};
use crate::domain::access::{may_do, Operation};
use crate::domain::audit::{describe, AuditAction};
use crate::domain::request::Request;
use crate::domain::retention::{destroyed, is_destroyed, scrubbed, RetentionFile, RetentionPlan};
use crate::domain::staff::Staff;
use crate::domain::time::Timestamp;
use crate::report::document::{Align, Block, Cell, Column, Document, Figure, Table};
use crate::store::backup::{partial_of, write_private};

/// The folder of the data directory the acts of destruction go to (the server's user's).
pub const RETENTION_DIR: &str = "retention";

/// Requests destroyed in one run at most: the service answers no one meanwhile (about 0.7 ms
/// a request on a 2-core machine, so a run holds the consoles under a second); the rest go in
/// the next run.
pub const AT_MOST_PER_RUN: usize = 1_000;

/// The files of one act: the act with the extract (Markdown) and the extract (CSV).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ActFiles {
    pub markdown: PathBuf,
    pub csv: PathBuf,
    pub destroyed: u32,
    pub drafts: u32,
}

impl Service {
    /// Destroys what `[retention]` has due now as `login` (the server's daily run): the act
    /// when something went, and the changes for the consoles.
    pub fn apply_retention_as(
        &self,
        login: &str,
    ) -> Result<(Option<ActFiles>, Vec<Event>), ServiceError> {
        let actor = self.identify(login)?;
        let offset = chrono::Local::now().offset().local_minus_utc();
        match self.retention(&actor, true, offset)? {
            (Reply::Retention { act, .. }, events) => Ok((act, events)),
            (_, events) => Ok((None, events)),
        }
    }

    /// What is due under the policy's `[retention]` at now (`offset`: the months' zone) and,
    /// with `apply`, destroying it: the act first, then the store.
    pub(super) fn retention(&self, actor: &Staff, apply: bool, offset_seconds: i32) -> Outcome {
        may_do(actor, Operation::Retention, &self.policy)?;
        let offset = FixedOffset::east_opt(offset_seconds).ok_or(ServiceError::BadOffset {
            seconds: offset_seconds,
        })?;
        let Some(retention) = self.policy.retention.as_ref() else {
            return Ok((
                Reply::Retention {
                    plan: None,
                    act: None,
                },
                Vec::new(),
            ));
        };
        let now = self.clock.now();
        let mut plan = RetentionPlan::default();
        let mut due = Vec::new();
        // only what was closed longer ago than the shortest span can be due: the index of
        // closes gives those, not the whole history
        let shortest = retention
            .by_type
            .values()
            .copied()
            .chain([retention.personal_data_days])
            .min()
            .unwrap_or(retention.personal_data_days);
        let horizon = Timestamp(now.0 - i64::from(shortest) * 24 * 3600 * 1000 + 1);
        let mut seen = std::collections::HashSet::new();
        let from = self.store.retention_from()?;
        // where the next run reads from: the first close whose data is still there after this
        let mut next_from = horizon;
        for request in self.store.closed_between(from, horizon)? {
            // a request closed, reopened and closed again has two keys
            if !seen.insert(request.id) {
                continue;
            }
            let closed = request.closed_at.unwrap_or(now);
            if retention.due(&request, now) {
                plan.add(&request, offset);
                if apply && due.len() < AT_MOST_PER_RUN {
                    due.push(request);
                    continue;
                }
            }
            if !is_destroyed(&request) {
                next_from = next_from.min(closed);
            }
        }
        plan.drafts = self
            .store
            .drafts_kept()?
            .into_iter()
            .filter(|(_, kept)| kept.is_some_and(|kept| retention.draft_due(kept, now)))
            .map(|(login, _)| login)
            .collect();
        if !apply || (due.is_empty() && plan.drafts.is_empty()) {
            if apply {
                self.store.set_retention_from(next_from)?;
            }
            return Ok((
                Reply::Retention {
                    plan: Some(plan),
                    act: None,
                },
                Vec::new(),
            ));
        }
        let name = self.act_name(now);
        // the act is written first (its extract read before the events are scrubbed) and
        // takes its name once the store has let go: no destruction without its act
        let document = self.act_document(&name, actor, retention, &plan, &due, now, offset)?;
        let act = self.write_act(&name, &document, due.len(), plan.drafts.len())?;
        if let Err(error) =
            self.store
                .destroy_personal_data(&due, &plan.drafts, &actor.login, now, &name)
        {
            act.discard();
            // what was destroyed before the failure leaves the search too
            for request in &due {
                if let Ok(Some(stored)) = self.store.request(request.id) {
                    self.search.upsert(&stored);
                }
            }
            return Err(error.into());
        }
        let act = act
            .keep()
            .map_err(|error| ServiceError::NotSaved(error.to_string()))?;
        self.store.set_retention_from(next_from)?;
        let events = due
            .iter()
            .map(|request| Event::RequestChanged {
                request: destroyed(request),
                by: actor.login.clone(),
            })
            .collect();
        Ok((
            Reply::Retention {
                plan: Some(plan),
                act: Some(act),
            },
            events,
        ))
    }

    /// A name no act in `retention/` has yet: `act-20271201-030000` (`-2`… within a second).
    fn act_name(&self, now: Timestamp) -> String {
        let folder = self.store.dir().join(RETENTION_DIR);
        let stamp = format!("act-{}", now.to_utc().format("%Y%m%d-%H%M%S"));
        let mut name = stamp.clone();
        let mut again = 1;
        while folder.join(format!("{name}.md")).exists() {
            again += 1;
            name = format!("{stamp}-{again}");
        }
        name
    }

    /// Writes the act `name` (Markdown and CSV, 0600) into `retention/` as synced partial
    /// files, named when `keep` is called.
    fn write_act(
        &self,
        name: &str,
        document: &Document,
        destroyed: usize,
        drafts: usize,
    ) -> Result<PendingAct, ServiceError> {
        let folder = self.store.dir().join(RETENTION_DIR);
        let failed = |error: std::io::Error| ServiceError::NotSaved(error.to_string());
        std::fs::create_dir_all(&folder).map_err(failed)?;
        let files = ActFiles {
            markdown: folder.join(format!("{name}.md")),
            csv: folder.join(format!("{name}.csv")),
            destroyed: destroyed as u32,
            drafts: drafts as u32,
        };
        let act = PendingAct { files };
        for (path, text) in [
            (
                &act.files.markdown,
                crate::report::markdown::markdown(document),
            ),
            (
                &act.files.csv,
                crate::report::csv::csv(&extract_only(document)),
            ),
        ] {
            if let Err(error) = write_private(&partial_of(path), text.as_bytes()) {
                act.discard();
                return Err(failed(error));
            }
        }
        Ok(act)
    }

    #[allow(clippy::too_many_arguments)]
    fn act_document(
        &self,
        name: &str,
        actor: &Staff,
        retention: &RetentionFile,
        plan: &RetentionPlan,
        due: &[Request],
        now: Timestamp,
        offset: FixedOffset,
    ) -> Result<Document, ServiceError> {
        let when = |at: Timestamp| at.in_offset(offset).format("%d.%m.%Y %H:%M").to_string();
        let ids: Vec<String> = due.iter().map(|request| request.id.to_string()).collect();
        let by_type: Vec<String> = retention
            .by_type
            .iter()
            .map(|(key, days)| tr!("retention.act.by_type", kind = key, days = days))
            .collect();
        let figure = |label: String, value: String| Figure {
            label,
            value: Cell::Text(value),
            note: None,
            alert: false,
        };
        let mut rows = Vec::new();
        for request in due {
            for event in self.store.events_of(request.id)? {
                let action = scrubbed(&event.action);
                rows.push(vec![
                    Cell::Text(request.id.to_string()),
                    Cell::Text(when(event.at)),
                    Cell::Text(event.actor.clone()),
                    Cell::Text(describe(&action, &self.policy, offset)),
                ]);
            }
            rows.push(vec![
                Cell::Text(request.id.to_string()),
                Cell::Text(when(now)),
                Cell::Text(actor.login.clone()),
                Cell::Text(describe(
                    &AuditAction::PersonalDataDestroyed { act: name.into() },
                    &self.policy,
                    offset,
                )),
            ]);
        }
        let column = |title: &str, align| Column {
            title: title.to_string(),
            align,
        };
        Ok(Document {
            title: tr!("retention.act.title", name = name),
            period: when(now),
            blocks: vec![
                Block::Figures(vec![
                    figure(tr!("retention.act.date").into(), when(now)),
                    figure(
                        tr!("retention.act.operator").into(),
                        self.policy.service.name.clone(),
                    ),
                    figure(
                        tr!("retention.act.who").into(),
                        format!("{} ({})", actor.name, actor.login),
                    ),
                    figure(
                        tr!("retention.act.basis").into(),
                        tr!(
                            "retention.act.basis_text",
                            days = retention.personal_data_days,
                            by_type = by_type.join(", ")
                        ),
                    ),
                    figure(
                        tr!("retention.act.kinds").into(),
                        tr!("retention.act.kinds_text").into(),
                    ),
                    figure(
                        tr!("retention.act.whose").into(),
                        tr!(
                            "retention.act.whose_text",
                            ids = ids.join(", "),
                            count = due.len()
                        ),
                    ),
                    figure(
                        tr!("retention.act.closed").into(),
                        match (plan.oldest, plan.newest) {
                            (Some(oldest), Some(newest)) => {
                                format!("{} — {}", when(oldest), when(newest))
                            }
                            _ => "—".into(),
                        },
                    ),
                    figure(
                        tr!("retention.act.drafts").into(),
                        plan.drafts.len().to_string(),
                    ),
                    figure(
                        tr!("retention.act.way").into(),
                        tr!("retention.act.way_text", drafts = retention.drafts_days),
                    ),
                ]),
                Block::Heading(tr!("retention.act.extract").into()),
                Block::Table(Table {
                    columns: vec![
                        column(tr!("retention.act.column.request"), Align::Right),
                        column(tr!("retention.act.column.at"), Align::Left),
                        column(tr!("retention.act.column.who"), Align::Left),
                        column(tr!("retention.act.column.what"), Align::Left),
                    ],
                    rows,
                    alert: false,
                }),
            ],
        })
    }
}

/// The act's extract alone, for its CSV.
fn extract_only(document: &Document) -> Document {
    Document {
        blocks: document
            .blocks
            .iter()
            .filter(|block| matches!(block, Block::Table(_)))
            .cloned()
            .collect(),
        ..document.clone()
    }
}

/// An act written and synced, not named yet.
struct PendingAct {
    files: ActFiles,
}

impl PendingAct {
    /// Names the act's files (the destruction it records is done).
    fn keep(self) -> std::io::Result<ActFiles> {
        for path in [&self.files.markdown, &self.files.csv] {
            std::fs::rename(partial_of(path), path)?;
        }
        if let Some(folder) = self.files.markdown.parent() {
            if let Ok(folder) = std::fs::File::open(folder) {
                let _ = folder.sync_all();
            }
        }
        Ok(self.files)
    }

    /// Removes the act's files (nothing was destroyed).
    fn discard(&self) {
        for path in [&self.files.markdown, &self.files.csv] {
            let _ = std::fs::remove_file(partial_of(path));
        }
    }
}
