//! Schema migrations, written once with sea-query and applied to SQLite and PostgreSQL alike.
//! Never edit a migration that has shipped: add a new one.

use sea_orm_migration::prelude::*;

mod m20261123_000001_foundation;
mod m20261123_000002_trunks;
mod m20261123_000003_trunk_register;
mod m20261123_000004_missed_calls;
mod m20261201_000005_missed_workflow;
mod m20261201_000006_agent_workspace;
mod m20261201_000007_contact_imports;
mod m20261201_000008_cases;
mod m20261201_000009_contact_search;
mod m20261202_000010_phone_type;
mod m20261202_000011_call_preferences;
mod m20261202_000012_user_caller_ids;
mod m20261202_000013_recording_policy;
mod m20261202_000014_queues;
mod m20261203_000015_supervision;
mod m20261203_000016_queue_stats;
mod m20261206_000018_live_calls;
mod m20261207_000019_queue_announcements;
mod m20261207_000020_queue_callbacks;
mod m20261207_000021_call_lists;
mod m20261207_000022_list_rules;
mod m20261208_000023_billing_stats;
mod m20261209_000024_lean_list_numbers;
mod m20261210_000025_import_rows_after;

pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m20261123_000001_foundation::Migration),
            Box::new(m20261123_000002_trunks::Migration),
            Box::new(m20261123_000003_trunk_register::Migration),
            Box::new(m20261123_000004_missed_calls::Migration),
            Box::new(m20261201_000005_missed_workflow::Migration),
            Box::new(m20261201_000006_agent_workspace::Migration),
            Box::new(m20261201_000007_contact_imports::Migration),
            Box::new(m20261201_000008_cases::Migration),
            Box::new(m20261201_000009_contact_search::Migration),
            Box::new(m20261202_000010_phone_type::Migration),
            Box::new(m20261202_000011_call_preferences::Migration),
            Box::new(m20261202_000012_user_caller_ids::Migration),
            Box::new(m20261202_000013_recording_policy::Migration),
            Box::new(m20261202_000014_queues::Migration),
            Box::new(m20261203_000015_supervision::Migration),
            Box::new(m20261203_000016_queue_stats::Migration),
            Box::new(m20261206_000018_live_calls::Migration),
            Box::new(m20261207_000019_queue_announcements::Migration),
            Box::new(m20261207_000020_queue_callbacks::Migration),
            Box::new(m20261207_000021_call_lists::Migration),
            Box::new(m20261207_000022_list_rules::Migration),
            Box::new(m20261208_000023_billing_stats::Migration),
            Box::new(m20261209_000024_lean_list_numbers::Migration),
            Box::new(m20261210_000025_import_rows_after::Migration),
        ]
    }
}
