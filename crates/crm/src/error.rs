//! The one error type of the domain. Messages are fluent ids (see web/locales), so every
//! layer above can say them in the user's language.

use serde::Serialize;

/// One invalid field: which field, and the message id that explains it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FieldError {
    pub field: &'static str,
    pub code: &'static str,
}

#[derive(Debug, thiserror::Error)]
pub enum CrmError {
    #[error("not found")]
    NotFound,
    #[error("invalid input: {0:?}")]
    Invalid(Vec<FieldError>),
    #[error("conflict: {0:?}")]
    Conflict(FieldError),
    #[error("wrong user name or password")]
    InvalidCredentials,
    #[error("the user name exists in several organizations")]
    AmbiguousOrganization,
    #[error("too many failed log-ins, try again later")]
    LoginLocked,
    #[error("no free licences in the system")]
    NoFreeLicences,
    #[error("not allowed")]
    Forbidden,
    /// The telephony side refused (no phone registered, dial rules, …); the text says why.
    #[error("call refused: {0}")]
    CallRefused(String),
    /// The organization's mail server refused or did not answer; the text says why.
    #[error("e-mail not sent: {0}")]
    MailFailed(String),
    /// A report could not be written as a file (a spreadsheet library's error).
    #[error("export failed: {0}")]
    Export(String),
    #[error(transparent)]
    Store(#[from] store::StoreError),
}

impl From<store::DbErr> for CrmError {
    fn from(e: store::DbErr) -> Self {
        CrmError::Store(store::StoreError::Db(e))
    }
}

impl CrmError {
    /// Whether the store failed in a way that may pass (busy, locked, read-only, disconnected):
    /// worth trying again later.
    pub fn is_transient(&self) -> bool {
        match self {
            CrmError::Store(store::StoreError::Db(e)) => store::transient::is_transient(e),
            CrmError::Store(store::StoreError::Io(_)) => true,
            _ => false,
        }
    }

    pub fn invalid(field: &'static str, code: &'static str) -> CrmError {
        CrmError::Invalid(vec![FieldError { field, code }])
    }

    /// The fluent message id that names this error for a person.
    pub fn code(&self) -> &'static str {
        match self {
            CrmError::NotFound => "err-not-found",
            CrmError::Invalid(v) => v.first().map(|f| f.code).unwrap_or("err-invalid"),
            CrmError::Conflict(f) => f.code,
            CrmError::InvalidCredentials => "err-credentials",
            CrmError::AmbiguousOrganization => "err-ambiguous-org",
            CrmError::LoginLocked => "err-login-locked",
            CrmError::NoFreeLicences => "err-no-licences",
            CrmError::Forbidden => "err-forbidden",
            CrmError::CallRefused(_) => "err-call-refused",
            CrmError::MailFailed(_) => "err-mail-failed",
            CrmError::Store(_) | CrmError::Export(_) => "err-internal",
        }
    }
}

/// Collects field errors so a form reports all of them at once.
#[derive(Default)]
pub struct Checks(Vec<FieldError>);

impl Checks {
    pub fn check<T>(&mut self, r: Result<T, FieldError>) -> Option<T> {
        match r {
            Ok(v) => Some(v),
            Err(e) => {
                self.0.push(e);
                None
            }
        }
    }

    pub fn push(&mut self, field: &'static str, code: &'static str) {
        self.0.push(FieldError { field, code });
    }

    pub fn finish(self) -> Result<(), CrmError> {
        if self.0.is_empty() { Ok(()) } else { Err(CrmError::Invalid(self.0)) }
    }
}
