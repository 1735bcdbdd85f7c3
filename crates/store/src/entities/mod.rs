//! Table rows as sea-orm entities. Queries that cross no organization boundary live with the
//! services in `crm`, which always filter by organization. A column that holds one of a few
//! values is an enum declared with `stored_enum!` beside its entity: the text stored, its
//! `as_str`/`parse`, and the list of all values come from one declaration.

/// An enum stored as text: each variant with the text it is stored (and serialized) as.
macro_rules! stored_enum {
    ($(#[$m:meta])* pub enum $name:ident { $($(#[$vm:meta])* $variant:ident = $text:literal,)+ }) => {
        $(#[$m])*
        #[derive(
            Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, serde::Serialize, serde::Deserialize,
        )]
        #[sea_orm(rs_type = "String", db_type = "String(StringLen::None)")]
        pub enum $name {
            $($(#[$vm])* #[sea_orm(string_value = $text)] #[serde(rename = $text)] $variant,)+
        }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            pub fn as_str(self) -> &'static str {
                match self {
                    $($name::$variant => $text,)+
                }
            }

            pub fn parse(s: &str) -> Option<$name> {
                $name::ALL.iter().copied().find(|v| v.as_str() == s)
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}

pub mod agent_status;
pub mod api_token;
pub mod call_list;
pub mod call_log;
pub mod call_note;
pub mod call_tag;
pub mod campaign;
pub mod campaign_agent;
pub mod case;
pub mod case_attachment;
pub mod case_event;
pub mod compliance_profile;
pub mod contact;
pub mod dial_rule;
pub mod dialer_call;
pub mod dnc_number;
pub mod import;
pub mod list_agent_category;
pub mod list_agent_section;
pub mod list_attempt;
pub mod list_category;
pub mod list_number;
pub mod list_outcome;
pub mod list_setting;
pub mod live_call;
pub mod login_failure;
pub mod mail_setting;
pub mod missed_call;
pub mod missed_call_history;
pub mod missed_setting;
pub mod node;
pub mod organization;
pub mod personal_contact;
pub mod phone_number;
pub mod process;
pub mod process_status;
pub mod queue;
pub mod queue_event;
pub mod queue_member;
pub mod ring_group;
pub mod saved_search;
pub mod session;
pub mod status_reason;
pub mod supervision_log;
pub mod trunk;
pub mod trunk_rate;
pub mod user;
pub mod user_caller_id;
pub mod user_preference;
