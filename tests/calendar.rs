//! A new year's production calendar from the government's publication: the XML of
//! xmlcalendar.ru and the CSV of data.gov.ru agree, day by day, with the official data pult
//! ships; `pult calendar import` puts a year into the data directory, where the deadlines
//! count it; and what is not a calendar is refused with a sentence, nothing written.
//!
//! `fixtures/calendar/ru-2025.xml` and `ru-2027.xml` are xmlcalendar.ru's published files
//! (github.com/xmlcalendar/data; the 2025 one with its missing space before `country`);
//! `ru-2025.csv` is the same year in the layout of data.gov.ru's «Производственный календарь».

mod common;

use std::path::Path;

use chrono::{Datelike, NaiveDate};

use pult::domain::calendar::{self, YearCalendar};
use pult::domain::hours::{instant_in, production_calendar};
use pult::domain::time::{ManualClock, Timestamp};

use common::calls::log_a_call;
use common::service::open_as_first_user;

const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/calendar");

const HOURS: &str = r#"
[hours]
zone = "Europe/Moscow"
week = ["пн-пт 08:00-20:00", "сб 09:00-15:00"]
production_calendar = true
"#;

fn fixture(name: &str) -> String {
    std::fs::read_to_string(Path::new(FIXTURES).join(name)).expect("fixture")
}

/// Every day of `year` as the imported calendar says and as the shipped official data says.
fn agrees_with_the_shipped_data(year: &YearCalendar) {
    let mut date = NaiveDate::from_ymd_opt(year.year, 1, 1).expect("a date");
    let mut days = 0;
    while date.year() == year.year {
        let (shipped, official) = production_calendar(date);
        assert!(official, "{date} is official in the shipped data");
        assert_eq!(year.day(date), shipped, "{date}");
        date = date.succ_opt().expect("next day");
        days += 1;
    }
    assert_eq!(days, 365);
}

#[test]
fn the_published_xml_of_2025_and_2027_agrees_with_the_shipped_calendar_day_by_day() {
    for name in ["ru-2025.xml", "ru-2027.xml"] {
        let years = calendar::parse(&fixture(name), name).expect(name);
        assert_eq!(years.len(), 1);
        agrees_with_the_shipped_data(&years[0]);
    }
}

#[test]
fn the_open_data_csv_agrees_with_the_shipped_calendar_day_by_day() {
    let years = calendar::parse(&fixture("ru-2025.csv"), "ru-2025.csv").expect("csv");
    assert_eq!(years.len(), 1);
    assert_eq!(years[0].year, 2025);
    agrees_with_the_shipped_data(&years[0]);
    // the same year from the XML is the same calendar
    let xml = calendar::parse(&fixture("ru-2025.xml"), "ru-2025.xml").expect("xml");
    assert_eq!(years[0].days_off, xml[0].days_off);
    assert_eq!(years[0].shortened, xml[0].shortened);
}

/// 2028 as a decree might have it: the New Year holidays (1 January is a Saturday), the
/// 31st of December 2027 off already.
const YEAR_2028: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<calendar year="2028" lang="ru" date="2027.09.01" country="ru">
  <days>
    <day d="01.01" t="1" h="1"/><day d="01.02" t="1" h="1"/><day d="01.03" t="1" h="1"/>
    <day d="01.04" t="1" h="1"/><day d="01.05" t="1" h="1"/><day d="01.06" t="1" h="1"/>
    <day d="01.07" t="1" h="2"/><day d="01.08" t="1" h="1"/>
  </days>
</calendar>
"#;

#[test]
fn an_imported_year_counts_in_the_deadlines_where_the_shipped_data_only_predicts() {
    let root = tempfile::tempdir().expect("temp dir");
    let dir = root.path().join("data");
    std::fs::create_dir(&dir).expect("data dir");
    std::fs::write(
        dir.join("policy.toml"),
        format!("{}{HOURS}", common::clock_policy()),
    )
    .expect("policy");
    // Thursday 30 December 2027, 19:55 in Moscow: the 31st is off, then the New Year
    let date = NaiveDate::from_ymd_opt(2027, 12, 30).expect("date");
    let evening = instant_in(chrono_tz::Europe::Moscow, date, 19 * 60 + 55);
    let clock = ManualClock::new(evening);
    {
        let (service, _) = open_as_first_user(&dir, &clock);
        // 2028 is only predicted: the span would cross it, so the clock counts
        assert_eq!(
            log_a_call(&service).deadlines.route_by,
            evening.plus_minutes(30)
        );
    }
    let file = root.path().join("calendar2028.xml");
    std::fs::write(&file, YEAR_2028).expect("calendar file");
    let output = common::pult_in(&dir, &["calendar", "import", file.to_str().expect("utf-8")]);
    let said = String::from_utf8_lossy(&output.stdout);
    assert!(output.status.success(), "{output:?}");
    assert!(
        said.contains("календарь на 2028 год загружен: нерабочих дней 8"),
        "{said}"
    );
    assert!(said.contains("после перезапуска сервера"), "{said}");
    assert!(dir.join("calendar/2028.toml").is_file());
    let listed = common::pult_in(&dir, &["calendar", "list"]);
    let listed = String::from_utf8_lossy(&listed.stdout);
    assert!(
        listed.contains("2028: загружен из calendar2028.xml"),
        "{listed}"
    );

    let (service, _) = open_as_first_user(&dir, &clock);
    let request = log_a_call(&service);
    // five minutes on the 30th; the 31st and 1–9 January closed; Monday the 10th at 08:25
    let monday = NaiveDate::from_ymd_opt(2028, 1, 10).expect("date");
    let due = instant_in(chrono_tz::Europe::Moscow, monday, 8 * 60 + 25);
    assert_eq!(request.deadlines.route_by, due);
    // and the open request logged before the import is counted again
    assert_eq!(service.recount_deadlines().expect("recount"), 1);
    let first = service
        .records()
        .request(pult::domain::request::RequestId(1));
    let first = first.expect("read").expect("kept");
    assert_eq!(first.deadlines.route_by, due);
    assert!(first.deadlines.route_by > Timestamp(evening.0));
}

#[test]
fn what_is_not_a_calendar_is_refused_with_a_sentence_and_nothing_is_written() {
    let root = tempfile::tempdir().expect("temp dir");
    let dir = root.path().join("data");
    std::fs::create_dir(&dir).expect("data dir");
    let cases: [(&str, Vec<u8>, &str); 5] = [
        (
            "binary.xml",
            vec![0xff, 0xfe, 0x00, 0x1b],
            "не в кодировке UTF-8",
        ),
        (
            "huge.csv",
            "Год,Январь\n"
                .bytes()
                .chain(std::iter::repeat_n(b'1', 300 * 1024))
                .collect(),
            "больше 256 КиБ",
        ),
        (
            "escape.xml",
            b"<calendar year=\"\x1b[31m2028\"><day d=\"01.01\" t=\"1\"/></calendar>".to_vec(),
            "не год производственного календаря",
        ),
        (
            "formula.csv",
            b"Year,Jan\n=HYPERLINK(\"http://evil\"),\"1\"\n".to_vec(),
            "не год производственного календаря",
        ),
        (
            "empty.xml",
            b"<calendar year=\"2028\"></calendar>".to_vec(),
            "нет ни одного праздника",
        ),
    ];
    for (name, bytes, says) in cases {
        let file = root.path().join(name);
        std::fs::write(&file, &bytes).expect("file");
        let output = common::pult_in(&dir, &["calendar", "import", file.to_str().expect("utf-8")]);
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(!output.status.success(), "{name}: {output:?}");
        assert!(stderr.contains(says), "{name}: {stderr}");
        assert!(!stderr.contains('\u{1b}'), "{name}: {stderr:?}");
        assert!(
            !dir.join("calendar").exists(),
            "{name}: something was written"
        );
    }
    let missing = common::pult_in(&dir, &["calendar", "import", "/nonexistent/calendar.xml"]);
    assert!(!missing.status.success());
    assert!(String::from_utf8_lossy(&missing.stderr).contains("/nonexistent/calendar.xml"));
}

#[test]
fn a_broken_calendar_file_in_the_data_directory_stops_the_start_with_its_name() {
    let dir = tempfile::tempdir().expect("temp dir");
    std::fs::write(
        dir.path().join("policy.toml"),
        format!("{}{HOURS}", common::clock_policy()),
    )
    .expect("policy");
    std::fs::create_dir(dir.path().join("calendar")).expect("folder");
    std::fs::write(dir.path().join("calendar/2028.toml"), "year = \"две\"\n").expect("file");
    let error = pult::service::setup::load_policy(dir.path()).expect_err("refused");
    let said = error.to_string();
    assert!(said.contains("2028.toml"), "{said}");
    assert!(said.contains("pult calendar import"), "{said}");
}
