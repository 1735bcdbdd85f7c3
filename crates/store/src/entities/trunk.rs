use sea_orm::entity::prelude::*;

/// A carrier's SIP trunk of an organization.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "trunks")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub org_id: i64,
    pub name: String,
    pub host: String,
    pub port: i32,
    /// udp | tcp
    pub transport: String,
    pub username: Option<String>,
    /// The carrier's digest secret, needed in clear to answer its challenges.
    pub password: Option<String>,
    /// The addresses calls from this carrier come from, separated by spaces or commas.
    pub inbound_addresses: String,
    pub created_at: DateTimeUtc,
    /// Keep a registration at the carrier (with the credentials).
    pub register: bool,
    /// The currency its rates are in (ISO 4217; empty: the organization's country's).
    pub currency: String,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
