//! Importing from a CSV file — contacts (`contacts.rs`) or the numbers of a call list
//! (`numbers.rs`): one engine for both. The wizard: the file is uploaded and kept under the data directory; its encoding,
//! separator and header are guessed (`sniff.rs`) and may be changed; a preview shows the first
//! rows as decoded; file columns are mapped to the target's fields (the organization's last mapping
//! is offered again); a dry run counts new rows, duplicates and invalid rows (each with its line
//! and reason); nothing is written before the user confirms. The run streams the file (memory
//! stays bounded) and writes batches in transactions; every row written keeps its import and line,
//! so a run that was killed is run again without duplicates, and an import whose rows are
//! unused can be undone.

mod contacts;
mod numbers;
pub mod sniff;

use crate::{Crm, CrmError, OrgId, User};
use chrono::{DateTime, Utc};
use serde::Serialize;
use std::io::Read;
use std::path::PathBuf;
pub use store::entities::import::ImportState;
use store::entities::{contact, import};
use store::sea_orm::{
    ActiveModelTrait, ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder, QuerySelect, Set,
};

/// The contact fields a file column can fill.
pub const FIELDS: [&str; 7] = ["first_name", "last_name", "company", "phone1", "phone2", "email", "notes"];
/// The fields of a call list's number a file column can fill (seed 003: the number, a name, the
/// category — made when the list has none of that name — the agent, by extension or login, and
/// whether the callee agreed to be called).
pub const NUMBER_FIELDS: [&str; 5] = ["number", "name", "category", "agent", "consent"];

/// What an import fills.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum Target {
    Contacts,
    CallList(i64),
}

impl Target {
    /// The fields a column may be mapped to.
    pub fn fields(self) -> &'static [&'static str] {
        match self {
            Target::Contacts => &FIELDS,
            Target::CallList(_) => &NUMBER_FIELDS,
        }
    }

    /// The field a header cell names, if any (English, Polish, Hebrew).
    fn field_of_header(self, cell: &str) -> Option<&'static str> {
        match self {
            Target::Contacts => sniff::field_of_header(cell),
            Target::CallList(_) => sniff::number_field_of_header(cell),
        }
    }
}
/// The largest file accepted.
pub const MAX_FILE: u64 = 512 << 20;
/// Problems listed in a summary (the counts cover all of them).
const MAX_PROBLEMS: usize = 500;
/// Rows written per transaction; rows per INSERT (SQLite takes at most 32,766 parameters).
const BATCH: usize = 50_000;

#[derive(Debug, Clone, Serialize)]
pub struct Import {
    pub id: i64,
    pub user_id: i64,
    pub name: String,
    pub description: String,
    pub file_name: String,
    pub file_size: i64,
    pub encoding: String,
    pub separator: String,
    pub has_header: bool,
    pub mapping: Vec<String>,
    pub state: ImportState,
    pub rows_total: i64,
    pub rows_new: i64,
    pub rows_duplicate: i64,
    pub rows_invalid: i64,
    pub created_at: DateTime<Utc>,
    pub finished_at: Option<DateTime<Utc>>,
    pub target: Target,
}

impl From<import::Model> for Import {
    fn from(m: import::Model) -> Self {
        Import {
            id: m.id,
            user_id: m.user_id,
            name: m.name,
            description: m.description,
            file_name: m.file_name,
            file_size: m.file_size,
            encoding: m.encoding,
            separator: m.separator,
            has_header: m.has_header,
            mapping: serde_json::from_str(&m.mapping).unwrap_or_default(),
            state: m.state,
            rows_total: m.rows_total,
            rows_new: m.rows_new,
            rows_duplicate: m.rows_duplicate,
            rows_invalid: m.rows_invalid,
            created_at: m.created_at,
            finished_at: m.finished_at,
            target: m.call_list_id.map_or(Target::Contacts, Target::CallList),
        }
    }
}

impl Import {
    /// Uploaded or checked: a dry run may (again) be made.
    pub fn checkable(&self) -> bool {
        matches!(self.state, ImportState::Uploaded | ImportState::Checked)
    }

    /// Written: it may be undone.
    pub fn undoable(&self) -> bool {
        self.state == ImportState::Done
    }

    /// How it reads its file now.
    pub fn settings(&self) -> Settings {
        Settings {
            encoding: self.encoding.clone(),
            separator: self.separator.clone(),
            has_header: self.has_header,
            mapping: self.mapping.clone(),
        }
    }
}

/// How to read the file and where its columns go.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Settings {
    pub encoding: String,
    pub separator: String,
    pub has_header: bool,
    /// The target's field of each column ("" = not imported).
    pub mapping: Vec<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Preview {
    /// The header row, when the file has one.
    pub header: Option<Vec<String>>,
    pub rows: Vec<Vec<String>>,
    pub columns: usize,
    /// The text holds characters that the chosen encoding makes of another one's letters.
    pub garbled: bool,
}

#[derive(Debug, Clone, Serialize)]
pub struct Problem {
    pub line: u64,
    /// A message id (err-…, dup-…).
    pub reason: &'static str,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct Summary {
    pub total: u64,
    pub new: u64,
    pub duplicates: u64,
    pub invalid: u64,
    /// The first problems, by line.
    pub problems: Vec<Problem>,
    /// Categories the import makes (a call list's file names them and the list has none such).
    pub new_categories: Vec<String>,
}

impl Crm {
    fn import_file(&self, org: OrgId, id: i64) -> PathBuf {
        self.files.join("imports").join(org.0.to_string()).join(format!("{id}.csv"))
    }

    /// Keeps an uploaded file (already written to `tmp` by the caller, at most `MAX_FILE`) as
    /// a new import into `target`, with its settings guessed. A call list is filled by managers.
    pub async fn upload_import(
        &self,
        user: &User,
        target: Target,
        name: &str,
        description: &str,
        file_name: &str,
        tmp: &std::path::Path,
    ) -> Result<Import, CrmError> {
        if let Target::CallList(list) = target {
            crate::outbound::managers(user)?;
            self.call_list(user.org_id, list).await?;
        }
        let name = name.trim();
        let mut checks = crate::error::Checks::default();
        if name.is_empty() || name.chars().count() > 100 {
            checks.push("name", "err-import-name");
        }
        if description.chars().count() > 1000 {
            checks.push("description", "err-too-long");
        }
        let size = std::fs::metadata(tmp).map(|m| m.len()).unwrap_or(0);
        if size == 0 {
            checks.push("file", "err-import-empty");
        }
        if size > MAX_FILE {
            checks.push("file", "err-import-large");
        }
        checks.finish()?;
        self.make_room(user.org_id, size).await?;
        let mut head = vec![0u8; 64 << 10];
        let n = std::fs::File::open(tmp).and_then(|mut f| f.read(&mut head)).map_err(io)?;
        head.truncate(n);
        let encoding = sniff::guess_encoding(&head);
        let text = decode(&head, encoding);
        let separator = sniff::guess_separator(&text);
        let first = parse_rows(&text, separator, 2);
        let has_header = first.first().is_some_and(|r| r.iter().any(|c| target.field_of_header(c).is_some()));
        let columns = first.first().map(Vec::len).unwrap_or(0);
        let mapping = self.default_mapping(user.org_id, target, first.first().filter(|_| has_header), columns).await?;
        let file_name: String = file_name.rsplit(['/', '\\']).next().unwrap_or("").chars().take(200).collect();
        let m = import::ActiveModel {
            org_id: Set(user.org_id.0),
            user_id: Set(user.id.0),
            name: Set(name.into()),
            description: Set(description.trim().into()),
            file_name: Set(file_name),
            file_size: Set(size as i64),
            encoding: Set(encoding.into()),
            separator: Set(separator.into()),
            has_header: Set(has_header),
            mapping: Set(serde_json::to_string(&mapping).unwrap_or_default()),
            state: Set(ImportState::Uploaded),
            rows_total: Set(0),
            rows_new: Set(0),
            rows_duplicate: Set(0),
            rows_invalid: Set(0),
            created_at: Set(self.now()),
            finished_at: Set(None),
            call_list_id: Set(match target {
                Target::CallList(l) => Some(l),
                Target::Contacts => None,
            }),
            ..Default::default()
        }
        .insert(self.db())
        .await?;
        let path = self.import_file(user.org_id, m.id);
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).map_err(io)?;
        }
        if std::fs::rename(tmp, &path).is_err() {
            std::fs::copy(tmp, &path).map_err(io)?;
        }
        Ok(m.into())
    }

    /// The mapping offered for a file: by the header's names, else the organization's last
    /// mapping of an import of the same kind when the file has as many columns, else nothing.
    async fn default_mapping(
        &self,
        org: OrgId,
        target: Target,
        header: Option<&Vec<String>>,
        columns: usize,
    ) -> Result<Vec<String>, CrmError> {
        if let Some(h) = header {
            return Ok(h.iter().map(|c| target.field_of_header(c).unwrap_or("").to_string()).collect());
        }
        let kind = match target {
            Target::Contacts => import::Column::CallListId.is_null(),
            Target::CallList(_) => import::Column::CallListId.is_not_null(),
        };
        let last = import::Entity::find()
            .filter(import::Column::OrgId.eq(org.0))
            .filter(kind)
            .filter(import::Column::State.is_in([ImportState::Checked, ImportState::Done]))
            .order_by_desc(import::Column::Id)
            .one(self.db())
            .await?
            .map(|m| serde_json::from_str::<Vec<String>>(&m.mapping).unwrap_or_default());
        Ok(match last {
            Some(m) if m.len() == columns => m,
            _ => vec![String::new(); columns],
        })
    }

    pub async fn import(&self, org: OrgId, id: i64) -> Result<Import, CrmError> {
        Ok(self.import_row(org, id).await?.into())
    }

    async fn import_row(&self, org: OrgId, id: i64) -> Result<import::Model, CrmError> {
        import::Entity::find_by_id(id)
            .filter(import::Column::OrgId.eq(org.0))
            .one(self.db())
            .await?
            .ok_or(CrmError::NotFound)
    }

    /// The organization's imports, latest first.
    pub async fn imports(&self, org: OrgId) -> Result<Vec<Import>, CrmError> {
        Ok(import::Entity::find()
            .filter(import::Column::OrgId.eq(org.0))
            .order_by_desc(import::Column::Id)
            .limit(200)
            .all(self.db())
            .await?
            .into_iter()
            .map(Into::into)
            .collect())
    }

    /// Checks settings against the import (encoding, separator, one field per column at most).
    fn check_settings(s: &Settings, fields: &[&str]) -> Result<(), CrmError> {
        let mut checks = crate::error::Checks::default();
        if sniff::encoding(&s.encoding).is_none() {
            checks.push("encoding", "err-import-encoding");
        }
        if sniff::separator(&s.separator).is_none() {
            checks.push("separator", "err-import-separator");
        }
        let used: Vec<&String> = s.mapping.iter().filter(|f| !f.is_empty()).collect();
        if used.iter().any(|f| !fields.contains(&f.as_str())) || s.mapping.len() > 200 {
            checks.push("mapping", "err-import-mapping");
        } else if used.iter().enumerate().any(|(i, f)| used[..i].contains(f)) {
            checks.push("mapping", "err-import-mapping-twice");
        } else if used.is_empty() {
            checks.push("mapping", "err-import-mapping-none");
        } else if fields == NUMBER_FIELDS && !used.iter().any(|f| *f == "number") {
            checks.push("mapping", "err-import-mapping-number");
        }
        checks.finish()
    }

    /// The first rows of the file as `s` reads them.
    pub async fn import_preview(&self, org: OrgId, id: i64, s: &Settings) -> Result<Preview, CrmError> {
        let m = self.import_row(org, id).await?;
        if sniff::encoding(&s.encoding).is_none() || sniff::separator(&s.separator).is_none() {
            return Err(CrmError::invalid("encoding", "err-import-encoding"));
        }
        let mut head = vec![0u8; 64 << 10];
        let n = std::fs::File::open(self.import_file(org, m.id)).and_then(|mut f| f.read(&mut head)).map_err(io)?;
        head.truncate(n);
        let text = decode(&head, &s.encoding);
        let mut rows = parse_rows(&text, &s.separator, 11);
        let header = if s.has_header && !rows.is_empty() { Some(rows.remove(0)) } else { None };
        rows.truncate(10);
        let columns = rows.iter().chain(header.iter()).map(Vec::len).max().unwrap_or(0);
        let garbled = text.chars().any(|c| c == '\u{FFFD}' || ('\u{80}'..='\u{9F}').contains(&c))
            || (s.encoding != "windows-1255"
                && text.chars().any(|c| ('\u{05D0}'..='\u{05EA}').contains(&c))
                && sniff::guess_encoding(&head) != s.encoding);
        Ok(Preview { header, rows, columns, garbled })
    }

    /// Keeps the settings and mapping, and runs the dry run: nothing is written.
    pub async fn check_import(&self, user: &User, id: i64, s: &Settings) -> Result<Summary, CrmError> {
        let m = self.import_row(user.org_id, id).await?;
        Self::check_settings(s, Import::from(m.clone()).target.fields())?;
        if !matches!(m.state, ImportState::Uploaded | ImportState::Checked) {
            return Err(CrmError::Conflict(crate::FieldError { field: "state", code: "err-import-state" }));
        }
        let summary = self.scan(user.org_id, &m, s, false).await?;
        let mut am: import::ActiveModel = m.into();
        am.encoding = Set(s.encoding.clone());
        am.separator = Set(s.separator.clone());
        am.has_header = Set(s.has_header);
        am.mapping = Set(serde_json::to_string(&s.mapping).unwrap_or_default());
        am.state = Set(ImportState::Checked);
        am.rows_total = Set(summary.total as i64);
        am.rows_new = Set(summary.new as i64);
        am.rows_duplicate = Set(summary.duplicates as i64);
        am.rows_invalid = Set(summary.invalid as i64);
        am.update(self.db()).await?;
        Ok(summary)
    }

    /// Writes the checked import's new rows. Run again after being killed, it goes on after the
    /// last line written (batches are written whole, in line order).
    pub async fn run_import(&self, user: &User, id: i64) -> Result<Summary, CrmError> {
        let m = self.import_row(user.org_id, id).await?;
        if m.state != ImportState::Checked {
            return Err(CrmError::Conflict(crate::FieldError { field: "state", code: "err-import-state" }));
        }
        let m = self.note_numbers_floor(m).await?;
        let s = Import::from(m.clone()).settings();
        let rows = m.rows_new as u64;
        let list = m.call_list_id;
        let done = async {
            let summary = self.scan(user.org_id, &m, &s, true).await?;
            if list.is_some() {
                self.store.after_list_load().await?;
            }
            // Every new row of the file is written now (this run's and a killed run's before it).
            let mut am: import::ActiveModel = m.into();
            am.state = Set(ImportState::Done);
            am.rows_total = Set(summary.total as i64);
            am.rows_new = Set(summary.new as i64);
            am.rows_duplicate = Set(summary.duplicates as i64);
            am.rows_invalid = Set(summary.invalid as i64);
            am.finished_at = Set(Some(self.now()));
            am.update(self.db()).await?;
            Ok(summary)
        };
        // A call list's numbers touch no contact: the contacts' search indexes stay as they are.
        match list {
            None => self.in_bulk(rows, done).await,
            Some(_) => done.await,
        }
    }

    /// Whether the import's rows are still unused: contacts without calls and not changed since,
    /// numbers not yet called.
    pub async fn import_undoable(&self, org: OrgId, id: i64) -> Result<bool, CrmError> {
        let m = self.import_row(org, id).await?;
        match Import::from(m.clone()).target {
            Target::Contacts => self.contacts_unused(org, id).await,
            Target::CallList(_) => self.numbers_unused(&m).await,
        }
    }

    /// Removes the rows of a finished import while none of them is used.
    pub async fn undo_import(&self, user: &User, id: i64) -> Result<u64, CrmError> {
        let m = self.import_row(user.org_id, id).await?;
        if m.state != ImportState::Done {
            return Err(CrmError::Conflict(crate::FieldError { field: "state", code: "err-import-state" }));
        }
        if !self.import_undoable(user.org_id, id).await? {
            return Err(CrmError::Conflict(crate::FieldError { field: "state", code: "err-import-used" }));
        }
        let target = Import::from(m.clone()).target;
        let rows = m.rows_new as u64;
        let undone = async {
            let txn = self.store.write().await?;
            let gone = match target {
                Target::Contacts => {
                    contact::Entity::delete_many()
                        .filter(contact::Column::OrgId.eq(user.org_id.0))
                        .filter(contact::Column::ImportId.eq(id))
                        .exec(&txn)
                        .await?
                }
                Target::CallList(_) => {
                    store::entities::list_number::Entity::delete_many()
                        .filter(Self::numbers_of_import(&m))
                        .exec(&txn)
                        .await?
                }
            }
            .rows_affected;
            let mut am: import::ActiveModel = m.into();
            am.state = Set(ImportState::Undone);
            am.update(&txn).await?;
            txn.commit().await?;
            Ok(gone)
        };
        match target {
            Target::Contacts => self.in_bulk(rows, undone).await,
            Target::CallList(_) => undone.await,
        }
    }

    /// Reads the whole file with `s`: counts, problems, and (with `write`) the new rows.
    async fn scan(&self, org: OrgId, m: &import::Model, s: &Settings, write: bool) -> Result<Summary, CrmError> {
        match m.call_list_id {
            None => self.scan_contacts(org, m, s, write).await,
            Some(list) => self.scan_numbers(org, list, m, s, write).await,
        }
    }

    /// Reads the file with `s` on a blocking thread, handing each record (the header and blank
    /// rows skipped) and its line to `each`, which counts it in the summary (`total` is counted
    /// here) and returns the row to write, if any; those rows are written here by `write` in
    /// batches, in line order, while the file is read. A row the CSV reader cannot read is
    /// invalid.
    async fn stream<R, Fut>(
        &self,
        org: OrgId,
        m: &import::Model,
        s: &Settings,
        mut each: impl FnMut(u64, &csv::StringRecord, &mut Summary) -> Option<R> + Send + 'static,
        mut write: impl FnMut(Vec<R>) -> Fut,
    ) -> Result<Summary, CrmError>
    where
        R: Send + 'static,
        Fut: std::future::Future<Output = Result<(), CrmError>>,
    {
        let enc = sniff::encoding(&s.encoding).ok_or(CrmError::invalid("encoding", "err-import-encoding"))?;
        let sep = sniff::separator(&s.separator).ok_or(CrmError::invalid("separator", "err-import-separator"))?;
        let path = self.import_file(org, m.id);
        let has_header = s.has_header;
        let (tx, mut rx) = tokio::sync::mpsc::channel::<Vec<R>>(3);
        let reader = tokio::task::spawn_blocking(move || -> Result<Summary, CrmError> {
            let file = std::fs::File::open(&path).map_err(io)?;
            let decoded = encoding_rs_io::DecodeReaderBytesBuilder::new()
                .encoding(Some(enc))
                .bom_override(true)
                .build(std::io::BufReader::with_capacity(1 << 20, file));
            let mut reader = csv::ReaderBuilder::new()
                .delimiter(sep)
                .has_headers(false)
                .flexible(true)
                .buffer_capacity(1 << 20)
                .from_reader(LfOnly { inner: std::io::BufReader::with_capacity(1 << 16, decoded) });
            let mut sum = Summary::default();
            let mut batch: Vec<R> = Vec::with_capacity(BATCH);
            let mut record = csv::StringRecord::new();
            let mut first = true;
            loop {
                let before = reader.position().line();
                match reader.read_record(&mut record) {
                    Ok(false) => break,
                    Ok(true) => {}
                    Err(e) => {
                        sum.total += 1;
                        sum.invalid += 1;
                        note(&mut sum, e.position().map(|p| p.line()).unwrap_or(before), "err-import-row");
                        continue;
                    }
                }
                let line = record.position().map(|p| p.line()).unwrap_or(before);
                if std::mem::take(&mut first) && has_header {
                    continue;
                }
                if record.iter().all(|c| c.trim().is_empty()) {
                    continue;
                }
                sum.total += 1;
                if let Some(row) = each(line, &record, &mut sum) {
                    batch.push(row);
                    if batch.len() >= BATCH
                        && tx.blocking_send(std::mem::replace(&mut batch, Vec::with_capacity(BATCH))).is_err()
                    {
                        break;
                    }
                }
            }
            if !batch.is_empty() {
                let _ = tx.blocking_send(batch);
            }
            Ok(sum)
        });
        let mut failed = None;
        while let Some(batch) = rx.recv().await {
            if failed.is_none()
                && let Err(e) = write(batch).await
            {
                failed = Some(e);
                rx.close();
            }
        }
        let sum = reader.await.map_err(|e| io(std::io::Error::other(e.to_string())))??;
        match failed {
            Some(e) => Err(e),
            None => Ok(sum),
        }
    }

    /// Does `work` (writing or removing `rows` contacts) as a bulk load — search indexes
    /// suspended, built again after — when `rows` is many next to what the table holds:
    /// rebuilding costs as much as the whole table, keeping them up to date as much as the rows
    /// written. The rebuild starts after `work`, which it would otherwise hold up (it keeps the
    /// database's write lock a while).
    async fn in_bulk<T>(
        &self,
        rows: u64,
        work: impl std::future::Future<Output = Result<T, CrmError>>,
    ) -> Result<T, CrmError> {
        let bulk = rows >= 10_000 && rows * 4 >= contact::Entity::find().count(self.db()).await?;
        let bulk = if bulk { Some(self.store.begin_bulk_contacts().await?) } else { None };
        let done = work.await;
        if let Some(b) = bulk {
            b.finish().await;
        }
        done
    }
}

/// A key of the duplicate check (a phone's E.164 or a lowercased e-mail), hashed: 8 bytes each
/// however many rows there are.
fn key(s: &str) -> u64 {
    use std::hash::{BuildHasher, BuildHasherDefault};
    BuildHasherDefault::<std::collections::hash_map::DefaultHasher>::default().hash_one(s)
}

/// Keys already hashed (`key`) are their own hash: a set or map of them hashes nothing again.
#[derive(Default, Clone, Copy)]
struct Hashed(u64);

impl std::hash::Hasher for Hashed {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        // Only u64 keys come here (`write_u64`); anything else is folded in all the same.
        for b in bytes {
            self.0 = self.0.rotate_left(8) ^ u64::from(*b);
        }
    }
    fn write_u64(&mut self, n: u64) {
        self.0 = n;
    }
}

/// A set of `key`s.
type KeySet = std::collections::HashSet<u64, std::hash::BuildHasherDefault<Hashed>>;
/// A map from `key`s.
type KeyMap<V> = std::collections::HashMap<u64, V, std::hash::BuildHasherDefault<Hashed>>;

fn note(sum: &mut Summary, line: u64, reason: &'static str) {
    if sum.problems.len() < MAX_PROBLEMS {
        sum.problems.push(Problem { line, reason });
    }
}

/// CRLF line ends read as LF (the CSV reader counts lines late after a CR, so problems would
/// name the line before). Lone CRs stay.
struct LfOnly<R> {
    inner: R,
}

impl<R: std::io::BufRead> Read for LfOnly<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let mut w = 0;
        while w < buf.len() {
            let avail = self.inner.fill_buf()?;
            let Some(&b) = avail.first() else { break };
            if b == b'\r' {
                self.inner.consume(1);
                if self.inner.fill_buf()?.first() != Some(&b'\n') {
                    buf[w] = b'\r';
                    w += 1;
                }
                continue;
            }
            let room = (buf.len() - w).min(avail.len());
            let run = avail[..room].iter().position(|&c| c == b'\r').unwrap_or(room);
            buf[w..w + run].copy_from_slice(&avail[..run]);
            self.inner.consume(run);
            w += run;
        }
        Ok(w)
    }
}

fn decode(bytes: &[u8], encoding: &str) -> String {
    let enc = sniff::encoding(encoding).unwrap_or(encoding_rs::UTF_8);
    let (text, _, _) = enc.decode(bytes);
    text.into_owned()
}

/// The first `n` rows of `text` (a cut last line is dropped when more follow).
fn parse_rows(text: &str, separator: &str, n: usize) -> Vec<Vec<String>> {
    let sep = sniff::separator(separator).unwrap_or(b',');
    csv::ReaderBuilder::new()
        .delimiter(sep)
        .has_headers(false)
        .flexible(true)
        .from_reader(text.as_bytes())
        .records()
        .take(n)
        .filter_map(Result::ok)
        .map(|r| r.iter().map(|c| c.trim().to_string()).collect())
        .collect()
}

fn io(e: std::io::Error) -> CrmError {
    CrmError::Store(store::StoreError::Io(e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::LfOnly;
    use std::io::Read;

    /// A reader that hands out one byte at a time: every CR ends a read.
    struct Trickle<'a>(&'a [u8]);

    impl Read for Trickle<'_> {
        fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
            let Some((b, rest)) = self.0.split_first() else { return Ok(0) };
            buf[0] = *b;
            self.0 = rest;
            Ok(1)
        }
    }

    #[test]
    fn crlf_becomes_lf_and_lone_crs_stay() {
        for data in [&b"a;b\r\nc;d\r\n\r\ne\rf\r"[..], b"\r\n"] {
            let want: Vec<u8> = String::from_utf8_lossy(data).replace("\r\n", "\n").into_bytes();
            let mut out = vec![];
            LfOnly { inner: std::io::BufReader::with_capacity(1, Trickle(data)) }.read_to_end(&mut out).unwrap();
            assert_eq!(out, want);
            let mut out = vec![];
            LfOnly { inner: data }.read_to_end(&mut out).unwrap();
            assert_eq!(out, want);
        }
    }
}
