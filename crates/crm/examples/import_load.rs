//! How fast contacts are imported from CSV: a generated file of N rows (default 1,000,000;
//! Polish names, phone numbers as people type them, e-mail addresses, a few broken rows) into a
//! fresh SQLite store, through the same engine as the wizard: the dry run (normalization and
//! duplicate checks, nothing written), then the run. Also: search over the imported contacts
//! with two conditions. Run by bench/import.sh, which times `sqlite3 .import` of the same file.
//! KEEP_DB=PATH keeps the resulting database for a look with the sqlite3 tool; BENCH_PG=URL (of
//! a PostgreSQL server's admin) runs it on a fresh PostgreSQL database instead.

use std::io::Write;
use std::time::Instant;

#[tokio::main]
async fn main() {
    let mut args = std::env::args().skip(1);
    let rows: u64 = args.next().and_then(|a| a.parse().ok()).unwrap_or(1_000_000);
    let out = args.next().map(std::path::PathBuf::from);
    let dir = tempfile::tempdir().unwrap();
    let csv = out.clone().unwrap_or_else(|| dir.path().join("contacts.csv"));
    let t = Instant::now();
    {
        let mut f = std::io::BufWriter::new(std::fs::File::create(&csv).unwrap());
        writeln!(f, "Imię;Nazwisko;Telefon;E-mail").unwrap();
        let first = [
            "Łucja",
            "Zbigniew",
            "Anna",
            "Świętosław",
            "Żaneta",
            "Grzegorz",
            "Ćwikła",
            "Jan",
            "Maria",
            "Piotr",
            "Katarzyna",
            "Tomasz",
            "Agnieszka",
            "Paweł",
            "Magdalena",
            "Michał",
            "Joanna",
            "Krzysztof",
            "Ewa",
            "Andrzej",
            "Barbara",
            "Marek",
            "Dorota",
            "Jakub",
            "Monika",
            "Adam",
            "Karolina",
            "Łukasz",
            "Natalia",
            "Marcin",
            "Aleksandra",
            "Wojciech",
        ];
        let last = [
            "Żółkiewska",
            "Gęśla",
            "Kowalska",
            "Źdźbło",
            "Nowak",
            "Wiśniewski",
            "Łąka",
            "Dąbrowski",
            "Lewandowski",
            "Wójcik",
            "Kamiński",
            "Zieliński",
            "Szymański",
            "Woźniak",
            "Kozłowski",
            "Jankowski",
            "Mazur",
            "Krawczyk",
        ];
        for i in 0..rows {
            if i % 100_000 == 99_999 {
                writeln!(f, "Zepsuty;Wiersz;zadzwoń później;").unwrap();
                continue;
            }
            let phone = format!("{} {:03} {:03}", 500 + i / 1_000_000, (i / 1000) % 1000, i % 1000);
            let domain = if i % 50 == 7 { "systell.pl" } else { "example.pl" };
            let (fi, la) = ((i * 7 % first.len() as u64) as usize, (i / 3 % last.len() as u64) as usize);
            writeln!(f, "{};{};{phone};k{i}@{domain}", first[fi], last[la]).unwrap();
        }
    }
    let size = std::fs::metadata(&csv).unwrap().len();
    println!(
        "{rows} rows ({:.0} MB) generated in {:.1} s: {}",
        size as f64 / 1e6,
        t.elapsed().as_secs_f64(),
        csv.display()
    );
    if out.is_some() {
        return;
    }
    // BENCH_PG=ADMIN_URL: a fresh PostgreSQL database instead of SQLite.
    let url = match std::env::var("BENCH_PG") {
        Ok(admin) => store::testing::fresh_pg_url(&admin).await,
        Err(_) => store::testing::fresh_sqlite_url(dir.path()),
    };
    println!("database: {}", if url.starts_with("sqlite") { "SQLite" } else { "PostgreSQL" });
    let store = store::Store::connect(&url).await.unwrap();
    store.migrate().await.unwrap();
    let settings = crm::CrmSettings { files: dir.path().join("files"), ..Default::default() };
    let crm = crm::Crm::start_with(store, settings).await.unwrap();
    let org = crm.create_org(&crm::OrgSlug::parse("acme").unwrap(), "Acme").await.unwrap();
    let user = crm
        .create_user(
            org.id,
            crm::identity::users::NewUser {
                username: "ada".into(),
                full_name: "Ada".into(),
                extension: "100".into(),
                role: "admin".into(),
                language: "en".into(),
                password: "bench-password-1".into(),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    let upload = dir.path().join("upload.csv");
    std::fs::copy(&csv, &upload).unwrap();
    let imp =
        crm.upload_import(&user, crm::imports::Target::Contacts, "bench", "", "contacts.csv", &upload).await.unwrap();
    let s = imp.settings();
    let t = Instant::now();
    let check = crm.check_import(&user, imp.id, &s).await.unwrap();
    let dry = t.elapsed().as_secs_f64();
    println!(
        "dry run: {} rows, {} new, {} duplicates, {} invalid in {dry:.2} s ({:.0} rows/s)",
        check.total,
        check.new,
        check.duplicates,
        check.invalid,
        check.total as f64 / dry
    );
    let t = Instant::now();
    let done = crm.run_import(&user, imp.id).await.unwrap();
    let run = t.elapsed().as_secs_f64();
    println!(
        "import: {} contacts written in {run:.2} s ({:.0} rows/s) (goal: <= 5 s for 1M rows)",
        done.new,
        check.total as f64 / run
    );
    let t = Instant::now();
    crm.store().contact_search_settled().await;
    println!(
        "search indexes (names, trigrams) built again after the import, in the background: {:.2} s",
        t.elapsed().as_secs_f64()
    );
    if std::env::var_os("NO_SEARCH").is_some() {
        return;
    }
    // Search over the contacts with two conditions, a page of 50 and the count.
    let cond = |f: &str, o: &str, v: &str| crm::search::Cond { field: f.into(), op: o.into(), value: v.into() };
    // (name, conditions): the example first; each on pages 1 to 3.
    let queries: Vec<(&str, Vec<crm::search::Cond>)> = vec![
        (
            "e-mail contains systell, first name Anna",
            vec![cond("email", "contains", "systell"), cond("first_name", "equals", "Anna")],
        ),
        (
            "e-mail contains systell, first name Michał",
            vec![cond("email", "contains", "systell"), cond("first_name", "equals", "Michał")],
        ),
        (
            "last name starts woź, first name marek",
            vec![cond("last_name", "starts", "woź"), cond("first_name", "equals", "marek")],
        ),
        (
            "phone contains 111 22, last name Nowak",
            vec![cond("phone", "contains", "111 22"), cond("last_name", "equals", "Nowak")],
        ),
        (
            "e-mail equals k123457@example.pl, company empty",
            vec![cond("email", "equals", "k123457@example.pl"), cond("company", "empty", "")],
        ),
        (
            "e-mail contains example, last name Mazur",
            vec![cond("email", "contains", "example"), cond("last_name", "equals", "Mazur")],
        ),
        (
            "e-mail contains k4242, phone starts 500",
            vec![cond("email", "contains", "k4242"), cond("phone", "starts", "500")],
        ),
        (
            "first name starts Ma, e-mail contains 99@",
            vec![cond("first_name", "starts", "Ma"), cond("email", "contains", "99@")],
        ),
    ];
    let ms = |d: std::time::Duration| d.as_secs_f64() * 1000.0;
    let mut all = vec![];
    for (name, q) in &queries {
        let (times, found) = timed(&crm, org.id, q, 60, 3).await;
        println!("  {name}: {found} found, p50 {:.1} ms, p99 {:.1} ms", ms(times[30]), ms(times[59]));
        all.extend(times);
    }
    all.sort();
    // The quick search of the contacts page: one condition, any field contains.
    for v in ["Woźniak", "systell", "k4242", "Łucja Ż"] {
        let (times, found) = timed(&crm, org.id, &[cond("any", "contains", v)], 20, 2).await;
        let (p50, max) = (ms(times[10]), ms(times[19]));
        println!("  quick search, any field contains {v:?}: {found} found, p50 {p50:.1} ms, max {max:.1} ms");
    }
    println!(
        "search, two conditions over {} contacts (a page of 50 and the count), {} searches: p50 {:.1} ms, p99 {:.1} ms (goal: p99 <= 50 ms)",
        done.new,
        all.len(),
        ms(all[all.len() / 2]),
        ms(all[all.len() * 99 / 100])
    );
    if let Ok(keep) = std::env::var("KEEP_DB") {
        std::fs::copy(dir.path().join("switchboard.db"), &keep).unwrap();
        let _ = std::fs::copy(dir.path().join("switchboard.db-wal"), format!("{keep}-wal"));
    }
    println!(
        "peak memory (VmHWM): {}",
        std::fs::read_to_string("/proc/self/status")
            .unwrap_or_default()
            .lines()
            .find(|l| l.starts_with("VmHWM"))
            .unwrap_or("?")
            .trim_start_matches("VmHWM:")
            .trim()
    );
}

/// `n` searches with `conds` over pages 1 to `pages` in turn: their times, sorted, and what the
/// last one found ("10000+" when more).
async fn timed(
    crm: &crm::Crm,
    org: crm::OrgId,
    conds: &[crm::search::Cond],
    n: u64,
    pages: u64,
) -> (Vec<std::time::Duration>, String) {
    let mut times = vec![];
    let mut found = String::new();
    for i in 0..n {
        let t = Instant::now();
        let r = crm.search_contacts(org, conds, 1 + i % pages, 50).await.unwrap();
        times.push(t.elapsed());
        found = format!("{}{}", r.total, if r.more { "+" } else { "" });
    }
    times.sort();
    (times, found)
}
