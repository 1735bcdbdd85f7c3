//! An organization's telephony set-up: carrier trunks, its numbers (DIDs) and where they ring,
//! ring groups, and dial rules (what may be called outside; the toll-fraud guard).

use crate::error::Checks;
use crate::{Crm, CrmError, FieldError, OrgId};
use store::entities::{dial_rule, phone_number, ring_group, trunk};

/// A carrier trunk, a number and a ring group as stored.
pub use store::entities::{phone_number::Model as Number, ring_group::Model as RingGroup, trunk::Model as Trunk};
use store::sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder, Set};

/// Where calls to a number ring.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NumberRoute<'a> {
    Extension(&'a str),
    Group(i64),
    Queue(i64),
    /// Not given (refused with its message).
    None,
}

impl<'a> NumberRoute<'a> {
    /// From the optional fields of a form or the command line (exactly one must be given).
    pub fn of(extension: Option<&'a str>, group: Option<i64>, queue: Option<i64>) -> NumberRoute<'a> {
        match (extension, group, queue) {
            (Some(e), None, None) => NumberRoute::Extension(e),
            (None, Some(g), None) => NumberRoute::Group(g),
            (None, None, Some(q)) => NumberRoute::Queue(q),
            _ => NumberRoute::None,
        }
    }
}

/// A new trunk, as typed.
#[derive(Debug, Clone, Default, serde::Deserialize)]
pub struct NewTrunk {
    pub name: String,
    pub host: String,
    pub port: u16,
    /// udp or tcp
    pub transport: String,
    pub username: Option<String>,
    pub password: Option<String>,
    /// Addresses calls come from; the host itself when empty.
    pub inbound_addresses: Vec<String>,
    /// Keep a registration at the carrier (needs a user name).
    #[serde(default)]
    pub register: bool,
}

/// Only the digits of a phone number (a leading + and any spacing dropped).
pub fn digits(number: &str) -> String {
    number.chars().filter(char::is_ascii_digit).collect()
}

/// The number as the carrier will get it: percent-encoding decoded once, visual separators
/// (spaces, dashes, dots, brackets) dropped, a + only in front; `None` when anything else is
/// left (letters, a second encoding, a + inside). Dial rules judge exactly this, and exactly this
/// is sent on: `0-0012125550100` is `00…` for the rules too.
pub fn dialable(raw: &str) -> Option<String> {
    // Decoded once: a % left over (a broken or a second encoding) is refused below.
    let decoded = percent_encoding::percent_decode_str(raw).decode_utf8().ok()?;
    let mut out = String::with_capacity(decoded.len());
    for (i, c) in decoded.chars().enumerate() {
        match c {
            '0'..='9' | '*' | '#' => out.push(c),
            '+' if i == 0 => out.push(c),
            ' ' | '-' | '.' | '(' | ')' => {}
            _ => return None,
        }
    }
    (!out.is_empty() && out.len() <= 32).then_some(out)
}

/// Whether `number` (as [`dialable`] made it) may go out under `rules`: the longest matching
/// prefix decides, and nothing matching means no. A number with `*` or `#` (carrier service
/// codes) goes out only under an allow rule that names them itself.
pub fn dial_allowed(rules: &[(String, bool)], number: &str) -> bool {
    let Some((prefix, allow)) =
        rules.iter().filter(|(prefix, _)| number.starts_with(prefix.as_str())).max_by_key(|(prefix, _)| prefix.len())
    else {
        return false;
    };
    let codes = number.contains(['*', '#']);
    *allow && (!codes || prefix.contains(['*', '#']))
}

/// A number that passed its checks: its digits and the one route it has.
pub(crate) struct CheckedNumber {
    pub digits: String,
    pub extension: Option<String>,
    pub group: Option<i64>,
    pub queue: Option<i64>,
}

/// A dial rule's prefix, checked: digits (a leading + allowed), `*` and `#`, at most 20.
pub(crate) fn checked_prefix(prefix: &str) -> Result<&str, CrmError> {
    let p = prefix.trim();
    let body = p.strip_prefix('+').unwrap_or(p);
    if p.len() > 20 || body.is_empty() || !body.chars().all(|c| c.is_ascii_digit() || c == '*' || c == '#') {
        return Err(CrmError::invalid("prefix", "err-dial-prefix"));
    }
    Ok(p)
}

impl Crm {
    pub async fn create_trunk(&self, org: OrgId, t: NewTrunk) -> Result<trunk::Model, CrmError> {
        let (transport, inbound) = self.check_trunk(&t)?;
        self.org(org).await?;
        let m = trunk::ActiveModel {
            org_id: Set(org.0),
            name: Set(t.name.trim().into()),
            host: Set(t.host.trim().into()),
            port: Set(t.port as i32),
            transport: Set(transport),
            username: Set(t.username.filter(|s| !s.is_empty())),
            password: Set(t.password.filter(|s| !s.is_empty())),
            inbound_addresses: Set(inbound.join(" ")),
            created_at: Set(self.now()),
            register: Set(t.register),
            currency: Set(String::new()),
            ..Default::default()
        }
        .insert(self.db())
        .await?;
        self.routing_changed();
        Ok(m)
    }

    /// The checks a trunk passes to be added or changed: its transport (lower case) and inbound
    /// addresses (the host when none are given).
    pub(crate) fn check_trunk(&self, t: &NewTrunk) -> Result<(String, Vec<String>), CrmError> {
        let mut c = Checks::default();
        if t.name.trim().is_empty() {
            c.push("name", "err-trunk-name");
        }
        if t.port == 0 {
            c.push("port", "err-trunk-port");
        }
        let carriers = self.carriers.read().expect("carriers lock").clone();
        carriers.check_trunk(t.name.trim(), &t.host, t.port, &mut c);
        let transport = t.transport.trim().to_ascii_lowercase();
        if !matches!(transport.as_str(), "udp" | "tcp") {
            c.push("transport", "err-trunk-transport");
        }
        let inbound: Vec<String> =
            if t.inbound_addresses.is_empty() { vec![t.host.trim().to_string()] } else { t.inbound_addresses.clone() };
        carriers.check_inbound(&inbound, &mut c);
        if t.register && t.username.as_deref().is_none_or(str::is_empty) {
            c.push("username", "err-trunk-register");
        }
        c.finish()?;
        Ok((transport, inbound))
    }

    pub async fn trunks(&self, org: OrgId) -> Result<Vec<trunk::Model>, CrmError> {
        Ok(trunk::Entity::find()
            .filter(trunk::Column::OrgId.eq(org.0))
            .order_by_asc(trunk::Column::Id)
            .all(self.db())
            .await?)
    }

    /// A ring group of existing extensions, ringing together or in order.
    pub async fn create_ring_group(
        &self,
        org: OrgId,
        name: &str,
        members: &[String],
        parallel: bool,
        ring_seconds: u32,
    ) -> Result<ring_group::Model, CrmError> {
        self.check_ring_group(org, name, members, ring_seconds).await?;
        let m = ring_group::ActiveModel {
            org_id: Set(org.0),
            name: Set(name.trim().into()),
            parallel: Set(parallel),
            ring_seconds: Set(ring_seconds as i32),
            members: Set(members.join(",")),
            ..Default::default()
        }
        .insert(self.db())
        .await?;
        self.routing_changed();
        Ok(m)
    }

    pub(crate) async fn check_ring_group(
        &self,
        org: OrgId,
        name: &str,
        members: &[String],
        ring_seconds: u32,
    ) -> Result<(), CrmError> {
        let mut c = Checks::default();
        if name.trim().is_empty() {
            c.push("name", "err-group-name");
        }
        if members.is_empty() {
            c.push("members", "err-group-members");
        }
        if !(5..=300).contains(&ring_seconds) {
            c.push("ring_seconds", "err-group-ring");
        }
        c.finish()?;
        for m in members {
            if self.find_user_by_login(org, m).await?.is_none_or(|u| u.extension != *m) {
                return Err(CrmError::invalid("members", "err-group-members"));
            }
        }
        Ok(())
    }

    pub async fn ring_groups(&self, org: OrgId) -> Result<Vec<ring_group::Model>, CrmError> {
        Ok(ring_group::Entity::find()
            .filter(ring_group::Column::OrgId.eq(org.0))
            .order_by_asc(ring_group::Column::Id)
            .all(self.db())
            .await?)
    }

    /// Whether the registration of the organization's trunk at its carrier stands, as this
    /// node's SIP server sees it (`None`: it does not register, or telephony is not running).
    pub fn trunk_registered(&self, t: &trunk::Model) -> Option<bool> {
        t.register.then(|| self.telephony.get().and_then(|s| s.trunk_registered(t.id))).flatten()
    }

    /// One of the organization's numbers, ringing an extension, a ring group or a queue.
    pub async fn add_number(
        &self,
        org: OrgId,
        number: &str,
        route: NumberRoute<'_>,
    ) -> Result<phone_number::Model, CrmError> {
        let n = self.check_number(org, None, number, route).await?;
        let m = phone_number::ActiveModel {
            org_id: Set(org.0),
            number: Set(n.digits),
            route_extension: Set(n.extension),
            route_group_id: Set(n.group),
            route_queue_id: Set(n.queue),
            created_at: Set(self.now()),
            ..Default::default()
        }
        .insert(self.db())
        .await?;
        self.routing_changed();
        Ok(m)
    }

    /// The checks a number passes to be added (`id` None) or changed: its digits and route.
    pub(crate) async fn check_number(
        &self,
        org: OrgId,
        id: Option<i64>,
        number: &str,
        route: NumberRoute<'_>,
    ) -> Result<CheckedNumber, CrmError> {
        let n = digits(number);
        if !(5..=15).contains(&n.len()) {
            return Err(CrmError::invalid("number", "err-number"));
        }
        let (mut extension, mut group, mut queue) = (None, None, None);
        match route {
            NumberRoute::Extension(e) => {
                if self.find_user_by_login(org, e).await?.is_none_or(|u| u.extension != e) {
                    return Err(CrmError::invalid("extension", "err-extension-unknown"));
                }
                extension = Some(e.to_string());
            }
            NumberRoute::Group(g) => {
                ring_group::Entity::find_by_id(g)
                    .filter(ring_group::Column::OrgId.eq(org.0))
                    .one(self.db())
                    .await?
                    .ok_or(CrmError::invalid("group", "err-group-unknown"))?;
                group = Some(g);
            }
            NumberRoute::Queue(q) => {
                let live = self.queue_conf(org, q).await.ok().filter(|c| c.queue.active);
                live.ok_or(CrmError::invalid("queue", "err-queue-unknown"))?;
                queue = Some(q);
            }
            NumberRoute::None => return Err(CrmError::invalid("route", "err-number-route")),
        }
        let mut taken = phone_number::Entity::find().filter(phone_number::Column::Number.eq(n.clone()));
        if let Some(id) = id {
            taken = taken.filter(phone_number::Column::Id.ne(id));
        }
        if taken.count(self.db()).await? > 0 {
            return Err(CrmError::Conflict(FieldError { field: "number", code: "err-number-taken" }));
        }
        Ok(CheckedNumber { digits: n, extension, group, queue })
    }

    pub async fn numbers(&self, org: OrgId) -> Result<Vec<phone_number::Model>, CrmError> {
        Ok(phone_number::Entity::find()
            .filter(phone_number::Column::OrgId.eq(org.0))
            .order_by_asc(phone_number::Column::Id)
            .all(self.db())
            .await?)
    }

    /// A dial rule: numbers starting with `prefix` (digits, optionally a leading +; `*` and `#`
    /// for carrier service codes, which go out only under a rule that names them) are allowed
    /// or refused.
    pub async fn add_dial_rule(&self, org: OrgId, prefix: &str, allow: bool) -> Result<dial_rule::Model, CrmError> {
        let p = checked_prefix(prefix)?;
        self.org(org).await?;
        let m = dial_rule::ActiveModel {
            org_id: Set(org.0),
            prefix: Set(p.into()),
            allow: Set(allow),
            ..Default::default()
        }
        .insert(self.db())
        .await?;
        self.routing_changed();
        Ok(m)
    }

    /// The organization's dial rules become `rules`, all at once.
    pub async fn replace_dial_rules(&self, org: OrgId, rules: &[(String, bool)]) -> Result<(), CrmError> {
        self.org(org).await?;
        let txn = self.store.write().await?;
        dial_rule::Entity::delete_many().filter(dial_rule::Column::OrgId.eq(org.0)).exec(&txn).await?;
        for (prefix, allow) in rules {
            dial_rule::ActiveModel {
                org_id: Set(org.0),
                prefix: Set(prefix.clone()),
                allow: Set(*allow),
                ..Default::default()
            }
            .insert(&txn)
            .await?;
        }
        txn.commit().await?;
        self.routing_changed();
        Ok(())
    }

    pub async fn dial_rules(&self, org: OrgId) -> Result<Vec<(String, bool)>, CrmError> {
        Ok(dial_rule::Entity::find()
            .filter(dial_rule::Column::OrgId.eq(org.0))
            .order_by_asc(dial_rule::Column::Prefix)
            .all(self.db())
            .await?
            .into_iter()
            .map(|r| (r.prefix, r.allow))
            .collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_longest_prefix_decides_and_nothing_means_no() {
        let rules = vec![("0".to_string(), true), ("00".to_string(), false), ("0048".to_string(), true)];
        assert!(dial_allowed(&rules, "0221234567"));
        assert!(!dial_allowed(&rules, "0012125550100"), "international refused");
        assert!(dial_allowed(&rules, "0048221234567"), "but Poland allowed");
        assert!(!dial_allowed(&rules, "112"), "no rule: refused");
        assert!(!dial_allowed(&[], "0221234567"));
        assert!(dial_allowed(&[(String::new(), true)], "123"));
    }

    #[test]
    fn the_rules_judge_the_number_the_carrier_gets() {
        let rules = vec![("0".to_string(), true), ("00".to_string(), false), ("*72".to_string(), true)];
        let out = |raw: &str| dialable(raw).filter(|n| dial_allowed(&rules, n));
        // What a phone may send to get past "00 refused": all reach the carrier as 00… or not at all.
        for raw in ["0-0012125550100", "0 0 12125550100", "(00)12125550100", "0.0012125550100", "%30%30%31212"] {
            assert_eq!(out(raw), None, "{raw}");
        }
        for raw in ["0*0012125550100", "0#0012125550100", "0%2B12125550100", "0%252B1212", "0+0012125550100", "0x0012"]
        {
            assert_eq!(out(raw), None, "{raw}: * # + inside, a second encoding, letters");
        }
        assert_eq!(out("0-22-123-45-67").as_deref(), Some("0221234567"), "separators dropped");
        assert_eq!(out("%2B48221234567"), None, "+48… matches no rule here");
        assert_eq!(dialable("%2B48221234567").as_deref(), Some("+48221234567"), "decoded once");
        assert_eq!(out("*7201234").as_deref(), Some("*7201234"), "a service code its own rule names");
    }
}
