//! Values that say what they hold: parsed once at the edge, trusted afterwards.

use crate::error::FieldError;
use serde::{Deserialize, Serialize};
use std::fmt;

macro_rules! id_type {
    ($name:ident) => {
        // 0, the default, is no row: looked up, it is not found.
        #[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(pub i64);
        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                self.0.fmt(f)
            }
        }
        // The key as the store holds it (queries take the id as it is).
        impl From<$name> for i64 {
            fn from(id: $name) -> i64 {
                id.0
            }
        }
        impl From<$name> for store::sea_orm::Value {
            fn from(id: $name) -> store::sea_orm::Value {
                id.0.into()
            }
        }
    };
}
id_type!(OrgId);
id_type!(UserId);
id_type!(TokenId);
id_type!(ContactId);
id_type!(CaseId);

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    Admin,
    Manager,
    Agent,
}

impl Role {
    pub const ALL: [Role; 3] = [Role::Admin, Role::Manager, Role::Agent];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::Manager => "manager",
            Role::Agent => "agent",
        }
    }

    /// Admin 3, manager 2, agent 1: a role may do what a lower one may.
    pub fn rank(self) -> u8 {
        match self {
            Role::Admin => 3,
            Role::Manager => 2,
            Role::Agent => 1,
        }
    }

    pub fn at_least(self, min: Role) -> bool {
        self.rank() >= min.rank()
    }

    pub fn parse(s: &str) -> Result<Role, FieldError> {
        match s.trim().to_ascii_lowercase().as_str() {
            "admin" => Ok(Role::Admin),
            "manager" => Ok(Role::Manager),
            "agent" => Ok(Role::Agent),
            _ => Err(FieldError { field: "role", code: "err-role" }),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum Language {
    #[default]
    En,
    Pl,
    He,
}

impl Language {
    pub const ALL: [Language; 3] = [Language::En, Language::Pl, Language::He];

    pub fn as_str(self) -> &'static str {
        match self {
            Language::En => "en",
            Language::Pl => "pl",
            Language::He => "he",
        }
    }

    pub fn parse(s: &str) -> Result<Language, FieldError> {
        match s.trim().to_ascii_lowercase().as_str() {
            "en" => Ok(Language::En),
            "pl" => Ok(Language::Pl),
            "he" => Ok(Language::He),
            _ => Err(FieldError { field: "language", code: "err-language" }),
        }
    }

    /// The name of the language in itself, for pickers.
    pub fn native_name(self) -> &'static str {
        match self {
            Language::En => "English",
            Language::Pl => "Polski",
            Language::He => "עברית",
        }
    }

    pub fn is_rtl(self) -> bool {
        self == Language::He
    }
}

/// An internal phone number: 2 to 8 digits, unique in its organization.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Extension(String);

impl Extension {
    pub fn parse(s: &str) -> Result<Extension, FieldError> {
        let s = s.trim();
        if (2..=8).contains(&s.len()) && s.bytes().all(|b| b.is_ascii_digit()) {
            Ok(Extension(s.to_string()))
        } else {
            Err(FieldError { field: "extension", code: "err-extension" })
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// An extension read back from the database (checked when it was stored).
    pub(crate) fn stored(s: String) -> Extension {
        Extension(s)
    }
}

impl std::fmt::Display for Extension {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl PartialEq<str> for Extension {
    fn eq(&self, other: &str) -> bool {
        self.0 == other
    }
}

impl PartialEq<&str> for Extension {
    fn eq(&self, other: &&str) -> bool {
        self.0 == *other
    }
}

impl PartialEq<String> for Extension {
    fn eq(&self, other: &String) -> bool {
        &self.0 == other
    }
}

/// A log-in name: 1 to 64 characters, no spaces and no '@' (which separates the organization);
/// kept in lower case so "Anna" and "anna" are one user.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Username(String);

impl Username {
    pub fn parse(s: &str) -> Result<Username, FieldError> {
        let s = s.trim().to_lowercase();
        let ok = !s.is_empty()
            && s.chars().count() <= 64
            && !s.chars().any(|c| c.is_whitespace() || c.is_control() || c == '@')
            // A name made of digits would be mistaken for an extension at log-in.
            && !s.chars().all(|c| c.is_ascii_digit());
        if ok { Ok(Username(s)) } else { Err(FieldError { field: "username", code: "err-username" }) }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// The short name of an organization, used in log-in names (`anna@acme`) and URLs.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct OrgSlug(String);

impl OrgSlug {
    pub fn parse(s: &str) -> Result<OrgSlug, FieldError> {
        let s = s.trim().to_ascii_lowercase();
        let ok = (1..=40).contains(&s.len())
            && s.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
            && !s.starts_with('-');
        if ok { Ok(OrgSlug(s)) } else { Err(FieldError { field: "org", code: "err-org-slug" }) }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A person's name as shown: trimmed, 1 to 120 characters.
pub fn parse_full_name(s: &str) -> Result<String, FieldError> {
    let s = s.trim();
    if s.is_empty() || s.chars().count() > 120 || s.chars().any(char::is_control) {
        Err(FieldError { field: "full_name", code: "err-full-name" })
    } else {
        Ok(s.to_string())
    }
}

/// A log-in password: 8 to 200 characters.
pub fn check_password(field: &'static str, s: &str) -> Result<(), FieldError> {
    let n = s.chars().count();
    if (8..=200).contains(&n) { Ok(()) } else { Err(FieldError { field, code: "err-password-length" }) }
}

/// A SIP password: 8 to 64 printable ASCII characters (phones cannot type more).
pub fn check_sip_password(s: &str) -> Result<(), FieldError> {
    let ok = (8..=64).contains(&s.len()) && s.bytes().all(|b| b.is_ascii_graphic());
    if ok { Ok(()) } else { Err(FieldError { field: "sip_password", code: "err-sip-password" }) }
}
