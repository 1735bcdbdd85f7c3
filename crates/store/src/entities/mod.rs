//! Table rows as sea-orm entities. Queries that cross no organization boundary live with the
//! services in `crm`, which always filter by organization.

pub mod agent_status;
pub mod api_token;
pub mod call_log;
pub mod call_note;
pub mod call_tag;
pub mod campaign;
pub mod campaign_agent;
pub mod case;
pub mod case_attachment;
pub mod case_event;
pub mod contact;
pub mod dial_rule;
pub mod import;
pub mod login_failure;
pub mod mail_setting;
pub mod missed_call;
pub mod missed_call_history;
pub mod missed_setting;
pub mod organization;
pub mod personal_contact;
pub mod phone_number;
pub mod process;
pub mod process_status;
pub mod ring_group;
pub mod saved_search;
pub mod session;
pub mod status_reason;
pub mod trunk;
pub mod user;
pub mod user_preference;
