//! Billing (seed 003's "inbound billing" and "outbound billing" sections): the organization's
//! answered calls from and to outside numbers — time, number, agent, campaign (the call list a
//! dialer's or a worked number's call was for), trunk, duration — priced by the trunk's rate
//! table (`rates.rs`), filtered by days, agent and campaign, with totals per day (in the
//! organization's time zone), agent and campaign, and exported exactly as filtered. Managers see
//! every agent's calls; an agent given the section sees their own. The trunk is the
//! organization's first, the one its outside calls go through.

pub mod rates;

use crate::outbound::access::Section;
use crate::reports::export::{Cell, Table};
use crate::{Crm, CrmError, OrgId, User};
use chrono::{DateTime, NaiveDate, Utc};
use rates::{Rate, RateDirection, parse_amount, price, rate_for};
use serde::Serialize;
use std::collections::{BTreeMap, HashMap};
use store::entities::call_log::{self as cl, CallKind};
use store::entities::trunk_rate;
use store::sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, QueryOrder, Set, TryIntoModel};

/// Rows shown on one page (the totals count them all).
pub const ROWS_SHOWN: usize = 500;
/// Days in one billing view at most.
pub const MAX_DAYS: i64 = 366;

/// What the records are filtered by.
#[derive(Debug, Clone)]
pub struct BillingFilter {
    pub direction: RateDirection,
    /// Days in the organization's time zone, both included.
    pub from: NaiveDate,
    pub to: NaiveDate,
    pub agent: Option<i64>,
    pub list: Option<i64>,
}

/// One priced call.
#[derive(Debug, Clone, Serialize)]
pub struct BillingRow {
    pub at: DateTime<Utc>,
    pub number: String,
    pub user_id: Option<i64>,
    pub agent: String,
    pub list_id: Option<i64>,
    pub campaign: String,
    pub trunk: String,
    pub seconds: i64,
    pub billed_seconds: i64,
    /// None: no rate covers the number.
    pub cost: Option<i64>,
}

/// Calls, seconds talked and billed, and their cost.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Totals {
    pub calls: u64,
    pub seconds: i64,
    pub billed_seconds: i64,
    pub cost: i64,
    /// Calls no rate covers (their cost is not in `cost`).
    pub unpriced: u64,
}

impl Totals {
    fn add(&mut self, r: &BillingRow) {
        self.calls += 1;
        self.seconds += r.seconds;
        self.billed_seconds += r.billed_seconds;
        match r.cost {
            Some(c) => self.cost += c,
            None => self.unpriced += 1,
        }
    }
}

/// The billing view.
#[derive(Debug, Clone, Serialize)]
pub struct Billing {
    /// The first `ROWS_SHOWN` calls, newest first.
    pub rows: Vec<BillingRow>,
    pub total: Totals,
    pub per_day: Vec<(NaiveDate, Totals)>,
    pub per_agent: Vec<(String, Totals)>,
    pub per_campaign: Vec<(String, Totals)>,
    /// The trunk's currency (ISO 4217).
    pub currency: String,
}

/// A rate as a manager types it.
#[derive(Debug, Clone, Default)]
pub struct RateIn {
    pub trunk_id: i64,
    pub direction: String,
    pub prefix: String,
    pub per_minute: String,
    pub first_seconds: String,
    pub increment_seconds: String,
    pub connect_fee: String,
}

/// The currency of a country, for a trunk that names none.
pub fn currency_of(country: &str) -> &'static str {
    match country {
        "PL" => "PLN",
        "IL" => "ILS",
        "GB" => "GBP",
        "US" => "USD",
        "CH" => "CHF",
        "CZ" => "CZK",
        "SE" => "SEK",
        "NO" => "NOK",
        "DK" => "DKK",
        "HU" => "HUF",
        "UA" => "UAH",
        _ => "EUR",
    }
}

fn section_of(d: RateDirection) -> Section {
    match d {
        RateDirection::Outbound => Section::OutboundBilling,
        RateDirection::Inbound => Section::InboundBilling,
    }
}

impl Crm {
    /// Every rate of the organization's trunks, by trunk, direction and prefix.
    pub async fn trunk_rates(&self, org: OrgId) -> Result<Vec<Rate>, CrmError> {
        Ok(trunk_rate::Entity::find()
            .filter(trunk_rate::Column::OrgId.eq(org.0))
            .order_by_asc(trunk_rate::Column::TrunkId)
            .order_by_asc(trunk_rate::Column::Direction)
            .order_by_asc(trunk_rate::Column::Prefix)
            .all(self.db())
            .await?)
    }

    /// Managers add a rate, or change the one of the same trunk, direction and prefix.
    pub async fn save_rate(&self, by: &User, r: RateIn) -> Result<Rate, CrmError> {
        crate::outbound::managers(by)?;
        let org = by.org_id;
        let trunk = self.trunks(org).await?.into_iter().find(|t| t.id == r.trunk_id);
        let mut errors = vec![];
        let mut check = |res: Result<i64, CrmError>| match res {
            Ok(v) => v,
            Err(CrmError::Invalid(e)) => {
                errors.extend(e);
                0
            }
            Err(_) => 0,
        };
        let direction = RateDirection::parse(&r.direction);
        let prefix: String = r.prefix.trim().trim_start_matches('+').to_string();
        let per_minute = check(parse_amount(&r.per_minute, "per_minute"));
        let connect_fee = check(parse_amount(&r.connect_fee, "connect_fee"));
        let seconds = |typed: &str, field: &'static str, default: i64| -> Result<i64, CrmError> {
            let t = typed.trim();
            if t.is_empty() {
                return Ok(default);
            }
            t.parse::<i64>().ok().filter(|s| (1..=3600).contains(s)).ok_or(CrmError::invalid(field, "err-seconds"))
        };
        let first = check(seconds(&r.first_seconds, "first_seconds", 60));
        let step = check(seconds(&r.increment_seconds, "increment_seconds", 60));
        if trunk.is_none() {
            errors.push(crate::FieldError { field: "trunk_id", code: "err-out-of-range" });
        }
        if direction.is_none() {
            errors.push(crate::FieldError { field: "direction", code: "err-out-of-range" });
        }
        if prefix.len() > 20 || !prefix.chars().all(|c| c.is_ascii_digit()) {
            errors.push(crate::FieldError { field: "prefix", code: "err-rate-prefix" });
        }
        let (Some(trunk), Some(direction), true) = (trunk, direction, errors.is_empty()) else {
            return Err(CrmError::Invalid(errors));
        };
        let existing = trunk_rate::Entity::find()
            .filter(trunk_rate::Column::OrgId.eq(org.0))
            .filter(trunk_rate::Column::TrunkId.eq(trunk.id))
            .filter(trunk_rate::Column::Direction.eq(direction))
            .filter(trunk_rate::Column::Prefix.eq(prefix.clone()))
            .one(self.db())
            .await?;
        let mut am = match existing {
            Some(m) => m.into(),
            None => trunk_rate::ActiveModel {
                org_id: Set(org.0),
                trunk_id: Set(trunk.id),
                direction: Set(direction),
                prefix: Set(prefix),
                ..Default::default()
            },
        };
        am.per_minute = Set(per_minute);
        am.first_seconds = Set(first as i32);
        am.increment_seconds = Set(step as i32);
        am.connect_fee = Set(connect_fee);
        Ok(am.save(self.db()).await?.try_into_model()?)
    }

    /// Managers take a rate out.
    pub async fn delete_rate(&self, by: &User, id: i64) -> Result<(), CrmError> {
        crate::outbound::managers(by)?;
        let r = trunk_rate::Entity::delete_many()
            .filter(trunk_rate::Column::OrgId.eq(by.org_id.0))
            .filter(trunk_rate::Column::Id.eq(id))
            .exec(self.db())
            .await?;
        if r.rows_affected == 0 { Err(CrmError::NotFound) } else { Ok(()) }
    }

    /// Every priced call the filter matches, newest first (managers: everyone's; an agent with
    /// the section: their own).
    async fn billing_rows(&self, by: &User, f: &BillingFilter) -> Result<(Vec<BillingRow>, String), CrmError> {
        self.require_section(by, section_of(f.direction)).await?;
        if f.to < f.from {
            return Err(CrmError::invalid("to", "err-report-order"));
        }
        if (f.to - f.from).num_days() >= MAX_DAYS {
            return Err(CrmError::invalid("to", "err-report-too-long"));
        }
        let org = by.org_id;
        let (_, from, _) = self.org_day(org, Some(f.from)).await?;
        let (_, _, to) = self.org_day(org, Some(f.to)).await?;
        let kind = match f.direction {
            RateDirection::Outbound => CallKind::Outgoing,
            RateDirection::Inbound => CallKind::Incoming,
        };
        let mut q = cl::Entity::find()
            .filter(cl::Column::OrgId.eq(org.0))
            .filter(cl::Column::Kind.eq(kind))
            .filter(cl::Column::StartedAt.gte(from))
            .filter(cl::Column::StartedAt.lt(to))
            .filter(cl::Column::AnsweredAt.is_not_null());
        let agent = if by.is_manager() { f.agent } else { Some(by.id.0) };
        if let Some(a) = agent {
            q = q.filter(cl::Column::UserId.eq(a));
        }
        let calls = q.order_by_desc(cl::Column::StartedAt).order_by_desc(cl::Column::Id).all(self.db()).await?;
        let list_of = self.lists_of_calls(org, from, to).await?;
        let lists: HashMap<i64, String> = self.call_lists(org).await?.into_iter().map(|l| (l.id, l.name)).collect();
        let users: HashMap<i64, String> = self.users(org).await?.into_iter().map(|u| (u.id.0, u.full_name)).collect();
        let trunk = self.trunks(org).await?.into_iter().min_by_key(|t| t.id);
        let rates: Vec<Rate> = match &trunk {
            Some(t) => self
                .trunk_rates(org)
                .await?
                .into_iter()
                .filter(|r| r.trunk_id == t.id && r.direction == f.direction)
                .collect(),
            None => vec![],
        };
        let currency = match trunk.as_ref().map(|t| t.currency.clone()).filter(|c| !c.is_empty()) {
            Some(c) => c,
            None => currency_of(&self.org_country(org).await?).to_string(),
        };
        let trunk_name = trunk.map(|t| t.name).unwrap_or_default();
        let mut rows = vec![];
        for c in calls {
            let list_id = list_of.get(&c.call_id).copied();
            if f.list.is_some() && f.list != list_id {
                continue;
            }
            let digits: String = c.number.chars().filter(char::is_ascii_digit).collect();
            let seconds = i64::from(c.talk_seconds);
            let priced = price(rate_for(&rates, &digits), seconds);
            rows.push(BillingRow {
                at: c.started_at,
                number: c.number,
                user_id: c.user_id,
                agent: c.user_id.and_then(|u| users.get(&u).cloned()).unwrap_or(c.extension),
                list_id,
                campaign: list_id.and_then(|l| lists.get(&l).cloned()).unwrap_or_default(),
                trunk: trunk_name.clone(),
                seconds,
                billed_seconds: priced.map_or(seconds, |p| p.billed_seconds),
                cost: priced.map(|p| p.cost),
            });
        }
        Ok((rows, currency))
    }

    /// The billing view: the calls shown, and the totals of all the filter matches.
    pub async fn billing(&self, by: &User, f: &BillingFilter) -> Result<Billing, CrmError> {
        let (rows, currency) = self.billing_rows(by, f).await?;
        let tz = self.org_tz(by.org_id).await?;
        let mut total = Totals::default();
        let mut per_day: BTreeMap<NaiveDate, Totals> = BTreeMap::new();
        let mut per_agent: BTreeMap<String, Totals> = BTreeMap::new();
        let mut per_campaign: BTreeMap<String, Totals> = BTreeMap::new();
        for r in &rows {
            total.add(r);
            per_day.entry(r.at.with_timezone(&tz).date_naive()).or_default().add(r);
            per_agent.entry(r.agent.clone()).or_default().add(r);
            per_campaign.entry(r.campaign.clone()).or_default().add(r);
        }
        Ok(Billing {
            rows: rows.into_iter().take(ROWS_SHOWN).collect(),
            total,
            per_day: per_day.into_iter().collect(),
            per_agent: per_agent.into_iter().collect(),
            per_campaign: per_campaign.into_iter().collect(),
            currency,
        })
    }

    /// Exactly the calls the filter matches, as a table (headers in the caller's words:
    /// time, number, agent, campaign, trunk, seconds, seconds billed, cost, currency).
    pub async fn export_billing(&self, by: &User, f: &BillingFilter, headers: Vec<String>) -> Result<Table, CrmError> {
        let (rows, currency) = self.billing_rows(by, f).await?;
        let tz = self.org_tz(by.org_id).await?;
        let rows = rows
            .into_iter()
            .map(|r| {
                vec![
                    Cell::Text(r.at.with_timezone(&tz).format("%Y-%m-%d %H:%M:%S").to_string()),
                    Cell::Text(r.number),
                    Cell::Text(r.agent),
                    Cell::Text(r.campaign),
                    Cell::Text(r.trunk),
                    Cell::from(r.seconds),
                    Cell::from(r.billed_seconds),
                    r.cost.map_or(Cell::Empty, |c| Cell::Number(c as f64 / rates::UNIT as f64)),
                    Cell::Text(currency.clone()),
                ]
            })
            .collect();
        Ok(Table { title: "billing".into(), headers, rows })
    }
}
