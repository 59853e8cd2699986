//! `pult retention [--apply]`: what personal data the policy's `[retention]` has due, by month
//! and type, and destroying it through the server with the act of destruction.

use std::path::Path;

use super::out::say;
use super::{connect, CliError};
use crate::service::{Command, Reply};

pub fn run(dir: &Path, apply: bool) -> Result<(), CliError> {
    let offset = chrono::Local::now().offset().local_minus_utc();
    let mut client = connect(dir)?;
    let Reply::Retention { plan, act } = client.call(Command::Retention {
        apply,
        offset_seconds: offset,
    })?
    else {
        return Err(CliError::Unexpected);
    };
    let Some(plan) = plan else {
        say!("{}", tr!("cli.retention.no_policy"))?;
        return Ok(());
    };
    if plan.requests.is_empty() && plan.drafts.is_empty() {
        say!("{}", tr!("cli.retention.nothing"))?;
        return Ok(());
    }
    let when = |at: crate::domain::time::Timestamp| {
        at.to_utc()
            .with_timezone(&chrono::Local)
            .format("%d.%m.%Y")
            .to_string()
    };
    let heading = if let Some(act) = &act {
        tr!("cli.retention.destroyed", count = act.destroyed)
    } else {
        tr!("cli.retention.due", count = plan.requests.len())
    };
    say!("{heading}")?;
    for ((month, category), count) in &plan.by_month {
        say!("  {month}  {:<40} {count:>6}", category.label())?;
    }
    if let (Some(oldest), Some(newest)) = (plan.oldest, plan.newest) {
        say!(
            "{}",
            tr!(
                "cli.retention.span",
                oldest = when(oldest),
                newest = when(newest)
            )
        )?;
    }
    if !plan.drafts.is_empty() {
        say!("{}", tr!("cli.retention.drafts", count = plan.drafts.len()))?;
    }
    if let Some(act) = &act {
        let left = plan.requests.len().saturating_sub(act.destroyed as usize);
        if left > 0 {
            say!("{}", tr!("cli.retention.left", count = left))?;
        }
    }
    match act {
        Some(act) => say!(
            "{}",
            tr!(
                "cli.retention.act",
                markdown = act.markdown.display(),
                csv = act.csv.display()
            )
        )?,
        None => say!("{}", tr!("cli.retention.to_apply"))?,
    }
    Ok(())
}
